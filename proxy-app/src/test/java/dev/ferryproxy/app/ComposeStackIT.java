package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferryproxy.testing.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
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
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * docker/compose, run: two Ferry replicas of the image, HAProxy in front of them sending PROXY
 * protocol v2, and Prometheus scraping both, each in its own container from the compose files'
 * settings (ferry.yaml, haproxy.cfg, prometheus.yml, the services' commands and mounts). HAProxy
 * and Prometheus run from images made of Debian's packages (no registry is reachable here), and
 * Grafana, which Debian does not package, is left out (ContainerPackagingIT checks its dashboard
 * against a real /metrics).
 *
 * <p>What differs from {@code docker compose up}, and why: the services run through podman's
 * command line, not Debian's podman-compose (1.0.3), because compose.yaml as it is cannot run
 * here: its images come from a registry (and Grafana's from nowhere), and its network,
 * 172.28.0.0/24, would carry the test's traffic on private-range addresses, while the tests keep
 * to loopback. So each service runs on the host's network (the setup verified here) on loopback
 * ports picked by the test, and the files' addresses are rewritten: the replicas' listeners and HAProxy's servers and check
 * ports, the trusted PROXY source (127.0.0.1, where HAProxy connects from) and Prometheus'
 * targets. And ferry.yaml's deny rule loses 127.0.0.0/8: the test's target is on loopback.
 */
@Tag("containers")
class ComposeStackIT {
    private static final Pattern ACCEPTED = Pattern.compile(
            "(?m)^ferry_proxy_protocol_headers_total\\{result=\"accepted\",?\\} (\\d+)(?:\\.0)?");
    private static final Pattern STORE_CONNECTED = Pattern.compile("(?m)^ferry_limits_store_connected (\\d+)(?:\\.0)?");
    private static final Pattern REJECTED = Pattern.compile(
            "(?m)^ferry_proxy_protocol_headers_total\\{result=\"rejected\",?\\} (\\d+)(?:\\.0)?");
    private static final int FETCHES = 6;

    private static Path root;
    private static Path compose;
    private static Podman podman;
    private static String ferryImage;
    private static String haproxyImage;
    private static String prometheusImage;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<String> containers = new ArrayList<>();
    private final String prefix = "ferry-compose-it-" + ProcessHandle.current().pid() + "-";

    @TempDir
    Path dir;

    @BeforeAll
    static void buildImages() throws Exception {
        Path here = Path.of("").toAbsolutePath();
        root = Files.isRegularFile(here.resolve("docker/Dockerfile")) ? here : here.getParent();
        compose = root.resolve("docker/compose");
        Optional<Podman> found = Podman.find(root);
        Assumptions.assumeTrue(found.isPresent(), "podman is not installed");
        podman = found.get();
        ferryImage = FerryImage.build(podman);
        // the Debian packages' programs, started as compose's images start theirs (commands below)
        haproxyImage = FerryImage.baseImage(podman, "haproxy", "haproxy");
        prometheusImage = FerryImage.baseImage(podman, "prometheus", "prometheus");
    }

    @AfterEach
    void removeContainers() throws IOException {
        for (String name : containers) {
            podman.remove(name);
        }
    }

    @Test
    void trafficFlowsThroughHaproxyWithProxyProtocolAndPrometheusScrapesBothReplicas() throws Exception {
        Map<String, Object> services = services();
        int lb = freePort();
        int haproxyStats = freePort();
        int prometheusPort = freePort();
        int[] socks = {freePort(), freePort()};
        int[] admin = {freePort(), freePort()};
        // compose's redis service: Debian's redis-server on loopback (the replicas run on the host's network)
        try (LoopbackTargets targets = new LoopbackTargets(); RedisServer redis = RedisServer.start(null)) {
            for (int i = 0; i < 2; i++) {
                String name = "ferry" + (i + 1);
                Path config = Files.writeString(dir.resolve(name + ".yaml"), ferryConfig(socks[i], admin[i], redis),
                        StandardCharsets.UTF_8);
                List<String> run = new ArrayList<>(List.of("--env", "FERRY_HEALTH_PORT=" + admin[i],
                        "--volume", config + ":/etc/ferry/ferry.yaml:ro",
                        "--volume", root.resolve("users.example") + ":/etc/ferry/users:ro", ferryImage));
                run.addAll(command(services, name));
                start(name, run);
            }
            Path haproxyCfg = Files.writeString(dir.resolve("haproxy.cfg"), haproxyConfig(lb, haproxyStats, socks, admin),
                    StandardCharsets.UTF_8);
            start("haproxy", List.of("--volume", haproxyCfg + ":/usr/local/etc/haproxy/haproxy.cfg:ro", haproxyImage,
                    "haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg", "-db"));
            Path prometheusYml = Files.writeString(dir.resolve("prometheus.yml"), prometheusConfig(admin),
                    StandardCharsets.UTF_8);
            start("prometheus", List.of("--volume", prometheusYml + ":/etc/prometheus/prometheus.yml:ro", prometheusImage,
                    "prometheus", "--config.file=/etc/prometheus/prometheus.yml",
                    "--storage.tsdb.path=/tmp/prometheus", "--web.listen-address=127.0.0.1:" + prometheusPort));

            for (int port : admin) {
                await("replica on admin port " + port + " ready").atMost(Duration.ofSeconds(60))
                        .until(() -> status("http://127.0.0.1:" + port + "/health/ready") == 200);
            }
            for (int port : admin) {
                await("replica on admin port " + port + " connected to the limits' Redis").atMost(Duration.ofSeconds(30))
                        .until(() -> counter(port, STORE_CONNECTED) == 1);
            }
            // HAProxy may have marked a replica down while its JVM started (fall 2, inter 2s); it
            // takes rise 2 checks to come back, and until then leastconn sends everything to the other
            for (String server : List.of("ferry1", "ferry2")) {
                await("HAProxy has " + server + " up").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                        .until(() -> haproxyStatus(haproxyStats, server).equals("UP"));
            }
            String proxy = "127.0.0.1:" + lb;
            await("a fetch through HAProxy").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .until(() -> Curl.socks5(proxy, "demo:demo-password", targets.httpUrl()).exitCode() == 0);
            long[] before = {counter(admin[0], ACCEPTED), counter(admin[1], ACCEPTED)};
            // leastconn: while one tunnel holds a replica, the fetches go to the other one
            try (Socks5Tunnel held = Socks5Tunnel.open(lb, "demo", "demo-password", targets.echoPort())) {
                assertThat(held.roundTrip("held")).isEqualTo("held");
                for (int i = 0; i < FETCHES; i++) {
                    assertThat(Curl.socks5(proxy, "demo:demo-password", targets.httpUrl()).output())
                            .isEqualTo(LoopbackTargets.BODY);
                }
            }
            // every connection reached a replica with a PROXY header that it accepted, and both replicas served
            long[] served = {counter(admin[0], ACCEPTED) - before[0], counter(admin[1], ACCEPTED) - before[1]};
            assertThat(served[0] + served[1]).as("headers accepted for a tunnel and %s fetches", FETCHES)
                    .isEqualTo(FETCHES + 1);
            assertThat(served[0]).as("fetches served by ferry1").isPositive();
            assertThat(served[1]).as("fetches served by ferry2").isPositive();
            // and a replica refuses a client that comes without one
            long rejected = counter(admin[0], REJECTED);
            assertThat(Curl.socks5("127.0.0.1:" + socks[0], "demo:demo-password", targets.httpUrl()).exitCode())
                    .as("straight to a replica, no PROXY header").isNotZero();
            await().atMost(Duration.ofSeconds(10)).until(() -> counter(admin[0], REJECTED) == rejected + 1);

            // Prometheus scrapes both replicas' /metrics (the file's 15 s interval: the first scrape
            // of each comes within one interval of the start)
            String prometheus = "http://127.0.0.1:" + prometheusPort;
            await("Prometheus has scraped both replicas").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> upTargets(prometheus) == 2);
            String query = get(prometheus + "/api/v1/query?query=ferry_tunnels_active");
            for (int port : admin) {
                assertThat(query).as("ferry_tunnels_active of 127.0.0.1:%s", port).contains("\"127.0.0.1:" + port + "\"");
            }
        }
    }

    // ---------------------------------------------------------------- the compose files, rewritten for loopback

    @SuppressWarnings("unchecked")
    private static Map<String, Object> services() throws IOException {
        Map<String, Object> stack = (Map<String, Object>) new Load(LoadSettings.builder().build())
                .loadFromString(Files.readString(compose.resolve("compose.yaml"), StandardCharsets.UTF_8));
        return (Map<String, Object>) stack.get("services");
    }

    @SuppressWarnings("unchecked")
    private static List<String> command(Map<String, Object> services, String name) {
        return (List<String>) ((Map<String, Object>) services.get(name)).get("command");
    }

    private static String replace(String text, String from, String to) {
        assertThat(text).as("the compose file holds %s", from).contains(from);
        return text.replace(from, to);
    }

    private static String ferryConfig(int socks, int admin, RedisServer redis) throws IOException {
        String config = Files.readString(compose.resolve("ferry.yaml"), StandardCharsets.UTF_8);
        config = replace(config, "listen: [\"0.0.0.0:1080\"]", "listen: [\"127.0.0.1:" + socks + "\"]");
        config = replace(config, "- listen: \"0.0.0.0:1080\"", "- listen: \"127.0.0.1:" + socks + "\"");
        config = replace(config, "admin: \"0.0.0.0:9090\"", "admin: \"127.0.0.1:" + admin + "\"");
        config = replace(config, "trustedSources: [\"172.28.0.10/32\"]", "trustedSources: [\"127.0.0.1/32\"]");
        config = replace(config, "redis://172.28.0.20:6379", redis.uri().toString());
        return replace(config, "\"127.0.0.0/8\", ", "");
    }

    /** The file's proxies, plus a stats page on loopback that the test reads the servers' states from. */
    private static String haproxyConfig(int lb, int stats, int[] socks, int[] admin) throws IOException {
        String config = Files.readString(compose.resolve("haproxy.cfg"), StandardCharsets.UTF_8);
        config = replace(config, "bind :1080", "bind 127.0.0.1:" + lb);
        config = replace(config, " check port 9090 ", " check ");
        for (int i = 0; i < 2; i++) {
            String name = "ferry" + (i + 1);
            config = replace(config, "server " + name + " " + name + ":1080 send-proxy-v2",
                    "server " + name + " 127.0.0.1:" + socks[i] + " send-proxy-v2 port " + admin[i]);
        }
        return config + "\nlisten stats\n    mode http\n    bind 127.0.0.1:" + stats
                + "\n    stats enable\n    stats uri /stats\n";
    }

    private static String prometheusConfig(int[] admin) throws IOException {
        String config = Files.readString(compose.resolve("prometheus.yml"), StandardCharsets.UTF_8);
        return replace(config, "[\"ferry1:9090\", \"ferry2:9090\"]",
                "[\"127.0.0.1:" + admin[0] + "\", \"127.0.0.1:" + admin[1] + "\"]");
    }

    // ---------------------------------------------------------------- helpers

    private void start(String service, List<String> imageAndCommand) throws IOException {
        String name = prefix + service;
        containers.add(name);
        List<String> args = new ArrayList<>(List.of("run", "--detach", "--name", name, "--network", "host"));
        args.addAll(imageAndCommand);
        podman.ok(Duration.ofSeconds(60), args.toArray(String[]::new));
    }

    private int status(String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private String get(String url) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(url).isEqualTo(200);
        return response.body();
    }

    private long counter(int admin, Pattern metric) throws IOException, InterruptedException {
        Matcher value = metric.matcher(get("http://127.0.0.1:" + admin + "/metrics"));
        assertThat(value.find()).as("%s on 127.0.0.1:%s", metric, admin).isTrue();
        return Long.parseLong(value.group(1));
    }

    /** The status column (UP, DOWN, ...) of backend ferry's server in HAProxy's CSV stats, or "" if unknown. */
    private String haproxyStatus(int stats, String server) {
        try {
            List<String> header = null;
            for (String line : get("http://127.0.0.1:" + stats + "/stats;csv").split("\n")) {
                List<String> fields = List.of(line.split(",", -1));
                if (line.startsWith("# ")) {
                    header = List.of(line.substring(2).split(",", -1));
                } else if (header != null && fields.size() > 1 && fields.get(0).equals("ferry")
                        && fields.get(1).equals(server)) {
                    return fields.get(header.indexOf("status"));
                }
            }
            return "";
        } catch (IOException | AssertionError e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** Prometheus' targets of job ferry whose last scrape succeeded. */
    private int upTargets(String prometheus) {
        try {
            String body = get(prometheus + "/api/v1/query?query=" + java.net.URLEncoder.encode("up{job=\"ferry\"} == 1",
                    StandardCharsets.UTF_8));
            Matcher instance = Pattern.compile("\"instance\":\"127\\.0\\.0\\.1:\\d+\"").matcher(body);
            int count = 0;
            while (instance.find()) {
                count++;
            }
            return count;
        } catch (IOException | AssertionError e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
