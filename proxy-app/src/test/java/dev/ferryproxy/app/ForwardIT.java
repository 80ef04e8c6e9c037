package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ferry forward}: a local port forwarded through the proxy, with many connections open at
 * once, each carrying its own payload; a target that refuses; a port that is taken; SIGTERM and
 * Ctrl-C.
 */
@Timeout(120)
class ForwardIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String FORWARDING = "forwarding (127\\.0\\.0\\.1:(\\d+)) to ";
    private static final int CONNECTIONS = 20;
    /** A name the proxy resolves with the DNS stub, whose answers a test can hold back. */
    private static final String ECHO_NAME = "echo.forward.test";

    private static DnsStub dns;
    private static RunningProxy proxy;
    private static EchoServer echo;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of(ECHO_NAME, List.of(Loopback.IPV4)));
        proxy = RunningProxy.start(dns.address());
        echo = EchoServer.start(Loopback.IPV4);
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(proxy, echo, dns);
    }

    private static FerryProcess forward(String target) throws IOException {
        return FerryProcess.startJar("forward", "--proxy", "socks5h://" + proxy.hostAndPort(),
                "--local", "127.0.0.1:0", "--target", target, "--dns-server", ConfigurationIT.LOOPBACK_DNS);
    }

    @Test
    void forwardsManyConnectionsAtOnceEachWithItsOwnPayload() throws Exception {
        ExecutorService threads = Executors.newCachedThreadPool();
        try (FerryProcess ferry = forward("localhost:" + echo.port())) {
            int port = Integer.parseInt(ferry.awaitStderr(FORWARDING).group(2));
            List<Socket> sockets = new ArrayList<>();
            try {
                // All the connections are open, each through its own tunnel, before any payload flows.
                for (int i = 0; i < CONNECTIONS; i++) {
                    Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
                    socket.setSoTimeout((int) TIMEOUT.toMillis());
                    sockets.add(socket);
                }
                for (Socket socket : sockets) {
                    socket.getOutputStream().write('!');
                    assertThat(socket.getInputStream().read()).isEqualTo('!');
                }
                // each has carried a byte both ways and none is closed: 20 tunnels open at the same time
                Awaitility.await("a log line for each tunnel").atMost(TIMEOUT).until(() -> ferry.stderr().lines()
                        .filter(l -> l.contains("INFO") && l.contains(" open in ")).count() == CONNECTIONS);

                List<CompletableFuture<Void>> transfers = new ArrayList<>();
                for (int i = 0; i < CONNECTIONS; i++) {
                    Socket socket = sockets.get(i);
                    long seed = 1000 + i;
                    int length = 200_000 + 7919 * i;
                    CompletableFuture<String> sent = CompletableFuture.supplyAsync(() -> {
                        try {
                            OutputStream out = socket.getOutputStream();
                            String digest = SeededBytes.writeAndDigest(out, seed, length);
                            socket.shutdownOutput();
                            return digest;
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }, threads);
                    CompletableFuture<SeededBytes.Digest> received = CompletableFuture.supplyAsync(() -> {
                        try {
                            return SeededBytes.readAndDigest(socket.getInputStream());
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }, threads);
                    transfers.add(sent.thenCombine(received, (digest, back) -> {
                        assertThat(back.count()).as("bytes back on connection %d", seed).isEqualTo(length);
                        assertThat(back.sha256()).as("payload back on connection %d", seed).isEqualTo(digest);
                        return null;
                    }));
                }
                CompletableFuture.allOf(transfers.toArray(new CompletableFuture<?>[0]))
                        .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } finally {
                for (Socket socket : sockets) {
                    socket.close();
                }
            }
            Awaitility.await("every connection logged as closed").atMost(TIMEOUT)
                    .until(() -> ferry.stderr().lines().filter(l -> l.contains("closed after")).count() == CONNECTIONS);

            ferry.terminate();
            assertThat(ferry.awaitExit()).as("stderr: %s", ferry.stderr()).isZero();
            assertThat(ferry.stderr()).contains("stopping on SIGTERM", "stopped");
            assertThat(ferry.stdout()).as("logs go to standard error").isEmpty();
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * A client that sends everything and half-closes before its tunnel is up (the proxy is still
     * waiting for DNS) loses nothing: epoll reads such a connection to its end even with
     * auto-read off, and what it read must wait for the relay.
     */
    @Test
    void bytesAndTheEndOfInputSentBeforeTheTunnelIsUpAreNotLost() throws Exception {
        try (FerryProcess ferry = forward(ECHO_NAME + ":" + echo.port())) {
            int port = Integer.parseInt(ferry.awaitStderr(FORWARDING).group(2));
            byte[] payload = SeededBytes.generate(77, 3000);
            dns.pauseAnswers();
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                socket.setSoTimeout((int) TIMEOUT.toMillis());
                try {
                    socket.getOutputStream().write(payload);
                    socket.shutdownOutput();
                    dns.awaitQuestion(ECHO_NAME, TIMEOUT);
                } finally {
                    dns.resumeAnswers();
                }
                assertThat(socket.getInputStream().readAllBytes()).isEqualTo(payload);
            }
            ferry.terminate();
            assertThat(ferry.awaitExit()).as("stderr: %s", ferry.stderr()).isZero();
        }
    }

    @Test
    void aRefusedTargetClosesTheLocalConnectionAndTheLogSaysWhy() throws Exception {
        int closed = Loopback.closedPort(Loopback.IPV4).getPort();
        try (FerryProcess ferry = forward("127.0.0.1:" + closed)) {
            int port = Integer.parseInt(ferry.awaitStderr(FORWARDING).group(2));
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                socket.setSoTimeout((int) TIMEOUT.toMillis());
                assertThat(socket.getInputStream().read()).as("closed without data").isEqualTo(-1);
            }
            ferry.awaitStderr("WARN .*#1 from 127\\.0\\.0\\.1:\\d+: no tunnel to 127\\.0\\.0\\.1:" + closed
                    + ": .*0x05: connection refused");
            // one failed tunnel does not stop the others: the port still forwards
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                assertThat(socket.isConnected()).isTrue();
            }
            ferry.interrupt();
            assertThat(ferry.awaitExit()).as("stderr: %s", ferry.stderr()).isZero();
            assertThat(ferry.stderr()).contains("stopping on SIGINT");
        }
    }

    @Test
    void aLocalPortInUseExitsOneNamingIt() throws Exception {
        try (ServerSocket busy = new ServerSocket()) {
            busy.bind(new InetSocketAddress(Loopback.IPV4, 0));
            String local = "127.0.0.1:" + busy.getLocalPort();
            try (FerryProcess ferry = FerryProcess.startJar("forward", "--proxy", "socks5h://" + proxy.hostAndPort(),
                    "--local", local, "--target", "127.0.0.1:" + echo.port())) {
                assertThat(ferry.awaitExit()).isEqualTo(1);
                assertThat(ferry.stderr()).contains("ferry forward: cannot listen on " + local);
            }
        }
    }

    @Test
    void optionsAreContracts() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar("forward", "--proxy", "socks5h://" + proxy.hostAndPort(),
                "--target", "127.0.0.1:" + echo.port())) {
            assertThat(ferry.awaitExit()).isEqualTo(2);
            assertThat(ferry.stderr()).contains("Missing required option: '--local=HOST:PORT'");
        }
        try (FerryProcess ferry = FerryProcess.startJar("forward", "--proxy", "socks5h://" + proxy.hostAndPort(),
                "--local", "127.0.0.1:0", "--target", "example.com")) {
            assertThat(ferry.awaitExit()).isEqualTo(2);
            assertThat(ferry.stderr()).contains("Invalid value for option '--target'", "is not HOST:PORT");
        }
        try (FerryProcess ferry = FerryProcess.startJar("forward", "--proxy", "socks4://" + proxy.hostAndPort(),
                "--local", "127.0.0.1:0", "--target", "[::1]:22")) {
            assertThat(ferry.awaitExit()).isEqualTo(2);
            assertThat(ferry.stderr()).contains("ferry forward: socks4://", "cannot carry the IPv6 address");
        }
    }
}
