package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The ferry program as operators run it: the shaded jar in its own process, driven by its command line. */
class FerryCommandIT {
    private static final String BODY = "ferry-it-body";
    /** Nothing answers DNS there; keeps any stray lookup on loopback instead of the machine's resolver. */
    private static final String LOOPBACK_DNS = "127.0.0.1:9";
    private static final String LISTENING = "listening on (.+) \\(SOCKS4, SOCKS4a, SOCKS5; transport (epoll|nio)\\)";

    private static HttpServer target;

    @BeforeAll
    static void startTarget() throws IOException {
        target = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        target.createContext("/", exchange -> {
            byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        target.start();
    }

    @AfterAll
    static void stopTarget() {
        target.stop(0);
    }

    @Test
    void helpPrintsUsageAndExitsZero() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar("--help")) {
            assertThat(ferry.awaitExit()).isZero();
            assertThat(ferry.stdout()).contains("Usage: ferry", "--listen=HOST:PORT", "--version", "127.0.0.1:1080");
        }
    }

    @Test
    void versionNamesFerryAndNetty() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar("--version")) {
            assertThat(ferry.awaitExit()).isZero();
            assertThat(ferry.stdout()).startsWith("Ferry ").contains("Netty 4.2.");
        }
    }

    @Test
    void unknownOptionExitsNonZeroNamingIt() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar("--bogus")) {
            assertThat(ferry.awaitExit()).isEqualTo(2);
            assertThat(ferry.stderr()).contains("Unknown option: '--bogus'", "ferry --help");
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--listen|127.0.0.1|is not HOST:PORT",
        "--listen|127.0.0.1:70000|out of range",
        "--listen|::1:1080|[::1]:1080",
        "--connect-timeout|soon|not a duration",
        "--handshake-timeout|0s|longer than zero",
        "--transport|iouring|not a transport",
        "--log-level|loud|not a log level",
        "--user|alice|expected NAME:PASSWORD",
        "--user|:secret|the user name is empty",
    })
    void malformedOptionValueExitsNonZeroSayingWhy(String option, String value, String reason) throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar(option, value)) {
            assertThat(ferry.awaitExit()).isEqualTo(2);
            assertThat(ferry.stderr()).contains("Invalid value for option '" + option + "'", reason);
        }
    }

    @Test
    void servesEveryListenerAndStopsCleanlyOnSigterm() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar(
                "--listen", "127.0.0.1:0", "--listen", "[::1]:0", "--dns-server", LOOPBACK_DNS)) {
            Matcher started = ferry.awaitStdout(LISTENING);
            List<String> listeners = List.of(started.group(1).split(", "));
            assertThat(listeners).hasSize(2);
            assertThat(listeners.get(0)).matches("127\\.0\\.0\\.1:\\d+");
            assertThat(listeners.get(1)).matches("\\[::1\\]:\\d+");

            for (String listener : listeners) {
                for (String flag : List.of("--socks4", "--socks4a", "--socks5", "--socks5-hostname")) {
                    assertThat(curl(flag, listener, "http://localhost:" + target.getAddress().getPort() + "/"))
                            .as("curl %s through %s", flag, listener).isEqualTo(BODY);
                }
            }

            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
            assertThat(ferry.stdout()).as("stderr: %s", ferry.stderr()).contains("Ferry stopping on SIGTERM", "Ferry stopped");
        }
    }

    @Test
    void logsTheTransportItRunsOn() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar(
                "--listen", "127.0.0.1:0", "--transport", "nio", "--dns-server", LOOPBACK_DNS)) {
            Matcher started = ferry.awaitStdout(LISTENING);
            assertThat(started.group(2)).isEqualTo("nio");
            assertThat(curl("--socks5-hostname", started.group(1),
                    "http://127.0.0.1:" + target.getAddress().getPort() + "/")).isEqualTo(BODY);
            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
        }
    }

    @Test
    void busyPortRefusesToStartAndSaysWhich() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                FerryProcess ferry = FerryProcess.startJar("--listen", "127.0.0.1:" + busy.getLocalPort())) {
            assertThat(ferry.awaitExit()).isEqualTo(1);
            assertThat(ferry.stdout()).contains("cannot listen on 127.0.0.1:" + busy.getLocalPort());
        }
    }

    @Test
    void listensOnLoopbackPort1080ByDefault() throws Exception {
        assumeTrue(portIsFree(1080), "127.0.0.1:1080 is in use on this machine");
        try (FerryProcess ferry = FerryProcess.startJar()) {
            assertThat(ferry.awaitStdout(LISTENING).group(1)).isEqualTo("127.0.0.1:1080");
            assertThat(curl("--socks5", "127.0.0.1:1080", "http://127.0.0.1:" + target.getAddress().getPort() + "/"))
                    .isEqualTo(BODY);
            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
        }
    }

    @Test
    void debugLogSaysWhyAConnectionWasRejected() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar(
                "--listen", "127.0.0.1:0", "--log-level", "debug", "--dns-server", LOOPBACK_DNS)) {
            String listener = ferry.awaitStdout(LISTENING).group(1);
            int port = Integer.parseInt(listener.substring(listener.lastIndexOf(':') + 1));
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(socket.getInputStream().read()).as("closed without a reply").isEqualTo(-1);
            }
            ferry.awaitStdout("DEBUG .*starts with 0x47, which is no SOCKS version");
            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
        }
    }

    @Test
    void launcherScriptExecsTheJar() throws Exception {
        try (FerryProcess ferry = FerryProcess.startLauncher("--version")) {
            assertThat(ferry.awaitExit()).isZero();
            assertThat(ferry.stdout()).startsWith("Ferry ");
        }
    }

    private static boolean portIsFree(int port) {
        try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Fetches a URL with curl through a SOCKS proxy; returns the body, failing on a non-zero exit. */
    private static String curl(String proxyFlag, String proxy, String url) throws IOException, InterruptedException {
        Process curl = new ProcessBuilder("curl", "-sS", "--max-time", "20", proxyFlag, proxy, url)
                .redirectErrorStream(true).start();
        byte[] output;
        try (InputStream in = curl.getInputStream()) {
            output = in.readAllBytes();
        }
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).as("curl finished").isTrue();
        String text = new String(output, StandardCharsets.UTF_8);
        assertThat(curl.exitValue()).as("curl exit code; output: %s", text).isZero();
        return text;
    }
}
