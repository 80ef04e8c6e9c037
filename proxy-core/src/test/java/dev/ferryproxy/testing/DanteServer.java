package dev.ferryproxy.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Dante ({@code danted}, Debian package dante-server), an independent SOCKS4/SOCKS5 server, run
 * on 127.0.0.1 and a free port for the tests: CONNECT, BIND and UDP ASSOCIATE, no
 * authentication, clients from 127.0.0.0/8 only, outbound from 127.0.0.1 (and ::1 where IPv6
 * works, so that IPv6 targets can be reached).
 *
 * <p>Observed with Dante 1.4.2: SOCKS4 and SOCKS5 work; SOCKS4a (a host name in a SOCKS4 request)
 * is refused with 91, SOCKS4 requests by address work. Names sent by SOCKS5 clients are resolved
 * with the system's resolver, so tests use {@code localhost}.
 */
public final class DanteServer implements AutoCloseable {
    public static final Path DANTED = Path.of("/usr/sbin/danted");

    private final ExternalServerProcess process;

    private DanteServer(ExternalServerProcess process) {
        this.process = process;
    }

    /** Starts danted; retries with another port if the one picked was taken in between. */
    public static DanteServer start() throws IOException {
        ExternalServerProcess.requireBinary(DANTED, "dante-server");
        IOException failure = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            Path directory = Files.createTempDirectory("ferry-dante-");
            try {
                int port = Loopback.closedPort(Loopback.IPV4).getPort();
                Path config = directory.resolve("danted.conf");
                Files.writeString(config, config(port), StandardCharsets.UTF_8);
                List<String> command = List.of(DANTED.toString(), "-f", config.toString(),
                        "-p", directory.resolve("danted.pid").toString());
                return new DanteServer(ExternalServerProcess.start("danted", command, directory,
                        new InetSocketAddress(Loopback.IPV4, port)));
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

    private static String config(int port) {
        boolean ipv6 = Loopback.canBind(Loopback.IPV6);
        boolean root = "root".equals(System.getProperty("user.name"));
        StringBuilder sb = new StringBuilder()
                .append("logoutput: stderr\n")
                .append("internal: 127.0.0.1 port = ").append(port).append('\n')
                .append("external: 127.0.0.1\n");
        if (ipv6) {
            sb.append("external: ::1\n");
        }
        sb.append("clientmethod: none\n")
                .append("socksmethod: none\n");
        if (root) {
            // As root, Dante wants to know whom to run as; otherwise it runs as the user who started it.
            sb.append("user.privileged: root\n")
                    .append("user.unprivileged: nobody\n");
        }
        sb.append("client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }\n")
                .append("socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 "
                        + "command: bind connect udpassociate bindreply udpreply }\n");
        if (ipv6) {
            sb.append("socks pass { from: 127.0.0.0/8 to: ::/0 command: connect }\n");
        }
        return sb.toString();
    }

    /** Where Dante listens: 127.0.0.1 and its port. */
    public InetSocketAddress address() {
        return process.address();
    }

    /** {@code 127.0.0.1:port}. */
    public String hostAndPort() {
        return address().getAddress().getHostAddress() + ":" + address().getPort();
    }

    /** What danted has logged so far, for failure messages. */
    public String log() {
        return process.logText();
    }

    /** Stops danted by destroying the process started (its children follow it). */
    @Override
    public void close() throws IOException {
        process.close();
    }
}
