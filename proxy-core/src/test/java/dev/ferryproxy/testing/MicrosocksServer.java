package dev.ferryproxy.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * microsocks (Debian package microsocks), a small independent SOCKS5 server, run on 127.0.0.1
 * and a free port: SOCKS5 CONNECT only (BIND and UDP ASSOCIATE get 0x07), no authentication or
 * RFC 1929 username/password. A wrong password gets STATUS 0x02. It has no half-close: when
 * either side ends its stream, it closes both.
 */
public final class MicrosocksServer implements AutoCloseable {
    public static final Path MICROSOCKS = Path.of("/usr/bin/microsocks");

    private final ExternalServerProcess process;

    private MicrosocksServer(ExternalServerProcess process) {
        this.process = process;
    }

    /** Starts microsocks without authentication. */
    public static MicrosocksServer start() throws IOException {
        return start(null, null);
    }

    /** Starts microsocks requiring {@code user} and {@code password} (RFC 1929). */
    public static MicrosocksServer start(String user, String password) throws IOException {
        return start(Loopback.IPV4, user, password);
    }

    /** Starts microsocks on {@code address} (127.0.0.1 or ::1); {@code user} null for no authentication. */
    public static MicrosocksServer start(java.net.InetAddress address, String user, String password)
            throws IOException {
        ExternalServerProcess.requireBinary(MICROSOCKS, "microsocks");
        IOException failure = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            Path directory = Files.createTempDirectory("ferry-microsocks-");
            try {
                int port = Loopback.closedPort(address).getPort();
                List<String> command = new ArrayList<>(List.of(MICROSOCKS.toString(), "-i", address.getHostAddress(),
                        "-p", String.valueOf(port)));
                if (user != null) {
                    command.addAll(List.of("-u", user, "-P", password));
                }
                return new MicrosocksServer(ExternalServerProcess.start("microsocks", command, directory,
                        new InetSocketAddress(address, port)));
            } catch (IOException e) {
                ExternalServerProcess.deleteRecursively(directory);
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        throw failure;
    }

    public InetSocketAddress address() {
        return process.address();
    }

    /** {@code 127.0.0.1:port}, or {@code [::1]:port}. */
    public String hostAndPort() {
        String host = address().getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address().getPort();
    }

    public String log() {
        return process.logText();
    }

    @Override
    public void close() throws IOException {
        process.close();
    }
}
