package dev.ferryproxy.app;

import static dev.ferryproxy.app.ConfigurationIT.LISTENING;
import static dev.ferryproxy.app.ConfigurationIT.LOOPBACK_DNS;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * Graceful drain of the real jar: SIGTERM turns /health/ready to 503 at once, the listener closes
 * after --drain-delay, an open tunnel still carries data until its client closes it, and the
 * process exits 0; a second SIGTERM ends the drain at once.
 */
class DrainIT {
    private static final String ADMIN = "admin listening on (127\\.0\\.0\\.1:\\d+)";
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static LoopbackTargets targets;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void startTargets() throws IOException {
        targets = new LoopbackTargets();
    }

    @AfterAll
    static void stopTargets() throws IOException {
        targets.close();
    }

    @Test
    void sigtermTurnsNotReadyThenClosesTheListenerWhileTheTunnelRunsOn() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                "--drain-delay", "500ms", "--dns-server", LOOPBACK_DNS)) {
            int proxyPort = port(ferry.awaitStdout(LISTENING).group(1));
            String admin = "http://" + ferry.awaitStdout(ADMIN).group(1);
            assertThat(ready(admin)).isEqualTo(200);
            try (Socket tunnel = socks5Connect(proxyPort, targets.echoPort())) {
                assertThat(roundTrip(tunnel, "before")).isEqualTo("before");

                ferry.terminate();
                awaitTrue("/health/ready answers 503", () -> ready(admin) == 503);
                ferry.awaitStdout("draining: ready=false; listeners close in 0\\.5s");
                ferry.awaitStdout("listeners closed; 1 connection\\(s\\) open");
                assertThat(refused(proxyPort)).isTrue();
                assertThat(ferry.isAlive()).isTrue();
                assertThat(roundTrip(tunnel, "during the drain")).isEqualTo("during the drain");
            }
            assertThat(ferry.awaitExit()).isZero();
            assertThat(ferry.stdout()).contains("drained").contains("Ferry stopped")
                    .doesNotContain("drain deadline passed");
        }
    }

    @Test
    void aSecondSigtermEndsTheDrainAtOnce() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar("--listen", "127.0.0.1:0", "--drain-delay", "0s",
                "--dns-server", LOOPBACK_DNS)) {
            int proxyPort = port(ferry.awaitStdout(LISTENING).group(1));
            try (Socket tunnel = socks5Connect(proxyPort, targets.echoPort())) {
                assertThat(roundTrip(tunnel, "x")).isEqualTo("x");
                ferry.terminate();
                ferry.awaitStdout("listeners closed; 1 connection\\(s\\) open");
                ferry.terminate();
                assertThat(ferry.awaitExit()).isZero();
                assertThat(tunnel.getInputStream().read()).isEqualTo(-1);
            }
            assertThat(ferry.stdout()).contains("SIGTERM again: ending the drain now").contains("Ferry stopped");
        }
    }

    private static int port(String hostAndPort) {
        return Integer.parseInt(hostAndPort.substring(hostAndPort.lastIndexOf(':') + 1));
    }

    private int ready(String admin) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(admin + "/health/ready")).timeout(Duration.ofSeconds(10))
                .GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static void awaitTrue(String what, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.onSpinWait();
        }
    }

    private static boolean refused(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            return false;
        } catch (ConnectException e) {
            return true;
        }
    }

    private static String roundTrip(Socket tunnel, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        tunnel.getOutputStream().write(bytes);
        tunnel.getOutputStream().flush();
        byte[] back = new byte[bytes.length];
        new DataInputStream(tunnel.getInputStream()).readFully(back);
        return new String(back, StandardCharsets.UTF_8);
    }

    /** A SOCKS5 CONNECT without authentication to 127.0.0.1:{@code port}, checked to succeed. */
    private static Socket socks5Connect(int proxyPort, int port) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxyPort);
        try {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            out.write(new byte[] {5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, (byte) (port >> 8), (byte) port});
            out.flush();
            byte[] reply = new byte[12];
            in.readFully(reply);
            assertThat(reply[1]).as("method").isZero();
            assertThat(reply[3]).as("CONNECT reply code").isZero();
            return socket;
        } catch (IOException | AssertionError e) {
            socket.close();
            throw e;
        }
    }
}
