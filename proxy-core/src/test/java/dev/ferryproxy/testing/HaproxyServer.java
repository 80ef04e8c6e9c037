package dev.ferryproxy.testing;

import io.netty.util.NetUtil;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * HAProxy (Debian package haproxy) run in the foreground on 127.0.0.1 and a free port, in TCP
 * mode, balancing round robin over two backends with {@code send-proxy-v2}. It runs the
 * repository's {@code docker/haproxy/haproxy.cfg} (copied into its own temporary directory), with
 * the addresses passed in the environment variables that file reads.
 */
public final class HaproxyServer implements AutoCloseable {
    public static final Path HAPROXY = Path.of("/usr/sbin/haproxy");

    private final ExternalServerProcess process;

    private HaproxyServer(ExternalServerProcess process) {
        this.process = process;
    }

    /** The configuration file the tests run: the one in docker/ (override with -Dferry.haproxyConfig). */
    public static Path configTemplate() {
        return Path.of(System.getProperty("ferry.haproxyConfig", "../docker/haproxy/haproxy.cfg"));
    }

    /** Starts HAProxy in front of {@code first} and {@code second}; retries with another port if taken. */
    public static HaproxyServer start(InetSocketAddress first, InetSocketAddress second) throws IOException {
        ExternalServerProcess.requireBinary(HAPROXY, "haproxy");
        IOException failure = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            Path directory = Files.createTempDirectory("ferry-haproxy-");
            try {
                InetSocketAddress frontend = Loopback.closedPort(Loopback.IPV4);
                Path config = directory.resolve("haproxy.cfg");
                Files.copy(configTemplate(), config);
                List<String> command = new ArrayList<>(List.of("/usr/bin/env",
                        "FERRY_LB_BIND=" + NetUtil.toSocketAddressString(frontend),
                        "FERRY_1=" + NetUtil.toSocketAddressString(first),
                        "FERRY_2=" + NetUtil.toSocketAddressString(second),
                        HAPROXY.toString(), "-f", config.toString(), "-db"));
                return new HaproxyServer(ExternalServerProcess.start("haproxy", command, directory, frontend));
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

    /** Where HAProxy accepts clients: 127.0.0.1 and its port. */
    public InetSocketAddress address() {
        return process.address();
    }

    /** What HAProxy has logged so far, for failure messages. */
    public String log() {
        return process.logText();
    }

    /** Stops HAProxy by destroying the process started. */
    @Override
    public void close() throws IOException {
        process.close();
    }
}
