package dev.ferryproxy.app;

import static dev.ferryproxy.app.ConfigurationIT.LISTENING;
import static dev.ferryproxy.app.ConfigurationIT.LOOPBACK_DNS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus (Debian's package) scraping two {@code ferry.jar} replicas with the
 * configuration that {@code docker/compose/} ships, the replicas' addresses put in for the compose
 * service names. After traffic through one replica, Prometheus' own query API must show both
 * targets up and the bytes and handshakes that went through. Skipped where Prometheus is not
 * installed; {@code .ci/run} installs it.
 */
class PrometheusIT {
    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final Path COMPOSE_CONFIG = Path.of("../docker/compose/prometheus.yml");
    private static final String ADMIN = "admin listening on (127\\.0\\.0\\.1:\\d+)";
    private static final Duration WAIT = Duration.ofSeconds(60);

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
    void prometheusScrapesBothReplicasWithTheComposeConfiguration() throws Exception {
        assumeTrue(Files.isExecutable(PROMETHEUS), "prometheus is not installed");
        try (FerryProcess first = startReplica(); FerryProcess second = startReplica()) {
            String firstProxy = first.awaitStdout(LISTENING).group(1);
            String firstAdmin = first.awaitStdout(ADMIN).group(1);
            String secondAdmin = second.awaitStdout(ADMIN).group(1);
            Path config = scrapingReplicas(firstAdmin, secondAdmin);
            int port = freePort();
            Process prometheus = new ProcessBuilder(PROMETHEUS.toString(),
                    "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            try {
                String api = "http://127.0.0.1:" + port + "/api/v1/query?query=";
                Awaitility.await().atMost(WAIT).ignoreExceptions()
                        .until(() -> values(api + "up{job=\"ferry\"}"), up -> up.size() == 2 && !up.contains(0.0));

                int proxyPort = Integer.parseInt(firstProxy.substring(firstProxy.lastIndexOf(':') + 1));
                long sent = echoThrough(proxyPort, 70_000) + echoThrough(proxyPort, 12_345);

                String bytes = "sum(ferry_relayed_bytes_total{job=\"ferry\",direction=\"client_to_target\"})";
                String handshakes = "sum(ferry_handshakes_total{job=\"ferry\",command=\"connect\",outcome=\"succeeded\"})";
                Awaitility.await().atMost(WAIT).ignoreExceptions()
                        .until(() -> values(api + bytes), value -> value.equals(List.of((double) sent)));
                assertThat(values(api + handshakes)).containsExactly(2.0);
                assertThat(values(api + "ferry_relayed_bytes_total{direction=\"target_to_client\",instance=\""
                        + firstAdmin + "\"}")).containsExactly((double) sent);
            } finally {
                prometheus.destroy();
                if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
                    prometheus.destroyForcibly();
                }
            }
        }
    }

    private static FerryProcess startReplica() throws IOException {
        return FerryProcess.startJar("--listen", "127.0.0.1:0", "--allow-open-proxy", "--admin", "127.0.0.1:0",
                "--dns-server", LOOPBACK_DNS);
    }

    /**
     * The compose file with the replicas' admin addresses for the service names and a 1 s scrape
     * interval; fails when the file no longer has what is replaced, so it cannot drift unnoticed.
     */
    private Path scrapingReplicas(String firstAdmin, String secondAdmin) throws IOException {
        String compose = Files.readString(COMPOSE_CONFIG, StandardCharsets.UTF_8);
        assertThat(compose).contains("\"ferry1:9090\"", "\"ferry2:9090\"", "scrape_interval: 15s");
        String local = compose.replace("\"ferry1:9090\"", "\"" + firstAdmin + "\"")
                .replace("\"ferry2:9090\"", "\"" + secondAdmin + "\"")
                .replace("scrape_interval: 15s", "scrape_interval: 1s");
        return Files.writeString(dir.resolve("prometheus.yml"), local, StandardCharsets.UTF_8);
    }

    /** Sends {@code size} bytes through a SOCKS5 tunnel to the echo target and reads them back. */
    private static long echoThrough(int proxyPort, int size) throws IOException {
        try (Socket tunnel = MetricsIT.socks5Connect(proxyPort, new byte[] {127, 0, 0, 1}, targets.echoPort(), 0)) {
            byte[] bytes = new byte[size];
            for (int i = 0; i < size; i++) {
                bytes[i] = (byte) (i * 7);
            }
            tunnel.getOutputStream().write(bytes);
            byte[] back = new byte[size];
            new DataInputStream(tunnel.getInputStream()).readFully(back);
            assertThat(back).isEqualTo(bytes);
            return size;
        }
    }

    /** The values of an instant query's result vector, through Prometheus' HTTP API. */
    private List<Double> values(String query) throws IOException, InterruptedException {
        int expression = query.indexOf("query=") + "query=".length();
        String url = query.substring(0, expression)
                + URLEncoder.encode(query.substring(expression), StandardCharsets.UTF_8);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        // JSON is YAML, so the YAML library the app already has reads the answer.
        Map<?, ?> body = (Map<?, ?>) new Load(LoadSettings.builder().build()).loadFromString(response.body());
        List<Double> values = new ArrayList<>();
        for (Object sample : (List<?>) ((Map<?, ?>) body.get("data")).get("result")) {
            List<?> value = (List<?>) ((Map<?, ?>) sample).get("value");
            values.add(Double.parseDouble((String) value.get(1)));
        }
        return values;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
