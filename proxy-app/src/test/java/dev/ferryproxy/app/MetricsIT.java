package dev.ferryproxy.app;

import static dev.ferryproxy.app.ConfigurationIT.LISTENING;
import static dev.ferryproxy.app.ConfigurationIT.LOOPBACK_DNS;
import static org.assertj.core.api.Assertions.assertThat;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The admin listener of the real jar: traffic through the proxy (curl, then raw SOCKS5 tunnels to
 * an echo server), then {@code /metrics} parsed as Prometheus text, checked against what was sent;
 * the content types of both formats, the health endpoints, and 404/405.
 */
class MetricsIT {
    private static final String ADMIN = "admin listening on (127\\.0\\.0\\.1:\\d+)";
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[^}]*\\})?) (\\S+)$");

    private static LoopbackTargets targets;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    Path dir;

    @BeforeAll
    static void startTargets() throws IOException {
        targets = new LoopbackTargets();
    }

    @AfterAll
    static void stopTargets() throws IOException {
        targets.close();
    }

    @Test
    void metricsCountWhatWentThroughAndHealthAnswers() throws Exception {
        Path config = Files.writeString(dir.resolve("ferry.yaml"), "rules:\n"
                + "  - { action: deny, destinations: [\"127.0.0.2/32\"] }\n"
                + "  - { action: allow }\n", StandardCharsets.UTF_8);
        try (FerryProcess ferry = FerryProcess.startJar("--config", config.toString(), "--listen", "127.0.0.1:0",
                "--admin", "127.0.0.1:0", "--dns-server", LOOPBACK_DNS)) {
            String proxy = ferry.awaitStdout(LISTENING).group(1);
            String admin = "http://" + ferry.awaitStdout(ADMIN).group(1);
            int proxyPort = Integer.parseInt(proxy.substring(proxy.lastIndexOf(':') + 1));

            assertThat(get(admin + "/health/live", null).statusCode()).isEqualTo(200);
            assertThat(get(admin + "/health/ready", null).statusCode()).isEqualTo(200);

            assertThat(Curl.socks5(proxy, null, targets.httpUrl()).output()).isEqualTo(LoopbackTargets.BODY);
            Map<String, Double> before = scrape(admin);

            int[] sizes = {100_000, 37_000};
            long sent = 0;
            for (int size : sizes) {
                try (Socket tunnel = socks5Connect(proxyPort, new byte[] {127, 0, 0, 1}, targets.echoPort(), 0)) {
                    byte[] bytes = new byte[size];
                    for (int i = 0; i < size; i++) {
                        bytes[i] = (byte) (i * 31);
                    }
                    tunnel.getOutputStream().write(bytes);
                    byte[] back = new byte[size];
                    new DataInputStream(tunnel.getInputStream()).readFully(back);
                    assertThat(back).isEqualTo(bytes);
                    sent += size;
                }
            }
            socks5Connect(proxyPort, new byte[] {127, 0, 0, 2}, 80, 0x02).close();

            Map<String, Double> after = scrape(admin);
            assertThat(after.get("ferry_relayed_bytes_total{direction=\"client_to_target\"}")
                    - before.get("ferry_relayed_bytes_total{direction=\"client_to_target\"}")).isEqualTo((double) sent);
            assertThat(after.get("ferry_relayed_bytes_total{direction=\"target_to_client\"}")
                    - before.get("ferry_relayed_bytes_total{direction=\"target_to_client\"}")).isEqualTo((double) sent);
            assertThat(after.get("ferry_handshakes_total{command=\"connect\",outcome=\"succeeded\"}")).isEqualTo(3.0);
            assertThat(after.get("ferry_handshakes_total{command=\"connect\",outcome=\"not_allowed\"}")).isEqualTo(1.0);
            assertThat(after.get("ferry_connections_accepted_total{listener=\"" + proxy + "\"}")).isEqualTo(4.0);
            assertThat(after.get("ferry_handshake_duration_seconds_count")).isEqualTo(3.0);
            assertThat(firstKeyStartingWith(after, "jvm_memory_used_bytes")).isNotNull();
            assertThat(firstKeyStartingWith(after, "netty_allocator_memory_used")).isNotNull();

            HttpResponse<String> text = get(admin + "/metrics", null);
            assertThat(text.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
            HttpResponse<String> openMetrics = get(admin + "/metrics", "application/openmetrics-text; version=1.0.0");
            assertThat(openMetrics.headers().firstValue("Content-Type"))
                    .hasValue("application/openmetrics-text; version=1.0.0; charset=utf-8");
            assertThat(openMetrics.body()).endsWith("# EOF\n");

            assertThat(get(admin + "/nothing-here", null).statusCode()).isEqualTo(404);
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(admin + "/metrics"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);

            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
        }
    }

    @Test
    void configReloadsAreCountedByResult() throws Exception {
        Path config = Files.writeString(dir.resolve("ferry.yaml"), "rules:\n  - { action: allow }\n",
                StandardCharsets.UTF_8);
        try (FerryProcess ferry = FerryProcess.startJar("--config", config.toString(), "--listen", "127.0.0.1:0",
                "--admin", "127.0.0.1:0", "--dns-server", LOOPBACK_DNS)) {
            ferry.awaitStdout(LISTENING);
            String admin = "http://" + ferry.awaitStdout(ADMIN).group(1);
            String ok = "ferry_config_reloads_total{result=\"ok\"}";
            String rejected = "ferry_config_reloads_total{result=\"rejected\"}";
            Map<String, Double> atStart = scrape(admin);
            assertThat(atStart.get(ok)).isZero();
            assertThat(atStart.get(rejected)).isZero();

            Files.writeString(config, "rules:\n  - { action: deny, destinations: [\"127.0.0.2/32\"] }\n"
                    + "  - { action: allow }\n", StandardCharsets.UTF_8);
            int from = ferry.stdoutLineCount();
            ferry.hangUp();
            ferry.awaitStdout("configuration reloaded from .*: 0 users, 2 rules", from);
            Awaitility.await("the good reload counted").atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(scrape(admin).get(ok)).isEqualTo(1.0));

            Files.writeString(config, "rules:\n  - action: maybe\n", StandardCharsets.UTF_8);
            from = ferry.stdoutLineCount();
            ferry.hangUp();
            ferry.awaitStdout("configuration reload from .* rejected, keeping the old one: .*", from);
            Awaitility.await("the rejected reload counted").atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(scrape(admin).get(rejected)).isEqualTo(1.0));
            assertThat(scrape(admin).get(ok)).isEqualTo(1.0);

            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
        }
    }

    @Test
    void perUserTagsNameTheLoggedInUserUpToTheBound() throws Exception {
        Path config = Files.writeString(dir.resolve("ferry.yaml"), "metrics:\n  maxTaggedUsers: 1\n",
                StandardCharsets.UTF_8);
        try (FerryProcess ferry = FerryProcess.startJar("--config", config.toString(), "--listen", "127.0.0.1:0",
                "--admin", "127.0.0.1:0", "--dns-server", LOOPBACK_DNS, "--metrics-per-user",
                "--user", "alice:alice-pw", "--user", "bob:bob-pw")) {
            String proxy = ferry.awaitStdout(LISTENING).group(1);
            String admin = "http://" + ferry.awaitStdout(ADMIN).group(1);
            assertThat(Curl.socks5(proxy, "alice:alice-pw", targets.httpUrl()).output()).isEqualTo(LoopbackTargets.BODY);
            assertThat(Curl.socks5(proxy, "bob:bob-pw", targets.httpUrl()).output()).isEqualTo(LoopbackTargets.BODY);
            String alice = "ferry_handshakes_total{command=\"connect\",outcome=\"succeeded\",user=\"alice\"}";
            String other = "ferry_handshakes_total{command=\"connect\",outcome=\"succeeded\",user=\"_other\"}";
            Awaitility.await("both handshakes counted").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Map<String, Double> samples = scrape(admin);
                assertThat(samples.get(alice)).isEqualTo(1.0);
                assertThat(samples.get(other)).isEqualTo(1.0);
                assertThat(samples.keySet()).noneMatch(key -> key.contains("user=\"bob\""));
                assertThat(samples.get("ferry_relayed_bytes_total{direction=\"target_to_client\",user=\"alice\"}"))
                        .isPositive();
            });
            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
        }
    }

    private static String firstKeyStartingWith(Map<String, Double> samples, String prefix) {
        return samples.keySet().stream().filter(key -> key.startsWith(prefix)).findFirst().orElse(null);
    }

    private HttpResponse<String> get(String url, String accept) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET();
        if (accept != null) {
            request.header("Accept", accept);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** GET /metrics as Prometheus text, parsed into {@code name{labels}} to value. */
    private Map<String, Double> scrape(String admin) throws IOException, InterruptedException {
        HttpResponse<String> response = get(admin + "/metrics", null);
        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, Double> samples = new HashMap<>();
        for (String line : response.body().split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher sample = SAMPLE.matcher(line);
            assertThat(sample.matches()).as("a sample line: %s", line).isTrue();
            samples.put(sample.group(1), value(sample.group(2)));
        }
        return samples;
    }

    private static double value(String text) {
        switch (text) {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            default:
                return Double.parseDouble(text);
        }
    }

    /** A SOCKS5 CONNECT without authentication to an IPv4 address; checks the reply code is {@code expectedRep}. */
    static Socket socks5Connect(int proxyPort, byte[] address, int port, int expectedRep) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxyPort);
        try {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            out.write(new byte[] {5, 1, 0});
            out.write(new byte[] {5, 1, 0, 1, address[0], address[1], address[2], address[3],
                (byte) (port >> 8), (byte) port});
            out.flush();
            byte[] selection = new byte[2];
            in.readFully(selection);
            assertThat(selection).containsExactly(5, 0);
            byte[] reply = new byte[10];
            in.readFully(reply);
            assertThat(reply[1] & 0xFF).as("CONNECT reply code").isEqualTo(expectedRep);
            return socket;
        } catch (IOException | AssertionError e) {
            socket.close();
            throw e;
        }
    }
}
