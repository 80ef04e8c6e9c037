package dev.ferryproxy.benchmarks.load;

import dev.ferryproxy.auth.LoginThrottle;
import dev.ferryproxy.auth.PlainCredential;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.server.ProxyServer;
import dev.ferryproxy.server.ProxyServerConfig;
import dev.ferryproxy.udp.UdpSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs every mode of the load generator with tiny counts against a real Ferry on loopback (and
 * directly), so the instruments keep working. Correctness only: bytes that arrive equal bytes
 * sent, cycles complete and are recorded, datagrams come back, memory can be read. Never a
 * timing: benchmarks are not tests.
 */
@Timeout(30)
class LoadGeneratorSmokeTest {
    private static final String USER = "bench";
    private static final String PASSWORD = "s3cret";

    /** SOCKS4, 4a, 5 and 5h without a password. */
    private static ProxyServer open;
    /** SOCKS5 with a password required. */
    private static ProxyServer guarded;

    @BeforeAll
    static void startServers() throws Exception {
        // No rate limit on UDP: the generator is meant to find the server's own limit.
        UdpSettings udp = new UdpSettings(true, null, Duration.ofMinutes(1), UdpSettings.MAX_UDP_PAYLOAD, 16, 0,
                false);
        InetSocketAddress noDns = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);
        open = ProxyServer.start(ProxyServerConfig.builder()
                .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .dnsServers(List.of(noDns))
                .udp(udp)
                .build());
        guarded = ProxyServer.start(ProxyServerConfig.builder()
                .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .dnsServers(List.of(noDns))
                .udp(udp)
                .policy(new ProxyPolicy(new AccessRules(List.of()),
                        UserDirectory.of(Map.of(USER, new PlainCredential(PASSWORD.getBytes(StandardCharsets.UTF_8)))),
                        true))
                .loginThrottle(new LoginThrottle.Settings(Duration.ZERO, Duration.ZERO, 1_000_000,
                        Duration.ofMinutes(1), Duration.ofMinutes(10)))
                .build());
    }

    @AfterAll
    static void stopServers() {
        if (open != null) {
            open.close();
        }
        if (guarded != null) {
            guarded.close();
        }
    }

    private static String proxy(String scheme) {
        return scheme + "://127.0.0.1:" + open.address().getPort();
    }

    private static String guardedProxy() {
        return "socks5://" + USER + ":" + PASSWORD + "@127.0.0.1:" + guarded.address().getPort();
    }

    /** Runs the generator with {@code args}; expects exit 0 and one result. */
    private static Result run(String... args) {
        List<Result> results = new ArrayList<>();
        int code = LoadGenerator.run(results::add, System.out, args);
        assertThat(code).as("exit code of %s", String.join(" ", args)).isZero();
        assertThat(results).hasSize(1);
        return results.get(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"up", "down"})
    void throughputDeliversEveryByteThroughFerry(String direction) {
        long perStream = 3L * 1024 * 1024 + 123; // not a whole number of chunks
        Result result = run("throughput", "--proxy", proxy("socks5"), "--direction", direction, "--streams", "2",
                "--bytes", Long.toString(perStream), "--duration", "20s", "--threads", "1");
        assertThat(result.errors()).isZero();
        assertThat(result.figure("bytes_received_total")).isEqualTo(2.0 * perStream);
        if (direction.equals("up")) {
            assertThat(result.figure("bytes_sent_total")).isEqualTo(2.0 * perStream);
        }
        assertThat(result.unit("gbit_per_s")).isEqualTo("Gbit/s");
    }

    @Test
    void throughputDirectDeliversEveryByte() {
        Result result = run("throughput", "--direction", "up", "--bytes", "1000000", "--duration", "20s");
        assertThat(result.label()).isEqualTo("direct");
        assertThat(result.figure("bytes_received_total")).isEqualTo(1_000_000.0);
    }

    @Test
    void throughputForATimeReportsPerSecondSamples() {
        Result result = run("throughput", "--proxy", proxy("socks4"), "--warmup", "1s", "--duration", "1s",
                "--direction", "down");
        assertThat(result.samples()).isNotEmpty();
        assertThat(result.samples().get(0).warmup()).isTrue();
        assertThat(result.figure("bytes_measured")).isPositive();
    }

    @ParameterizedTest
    @ValueSource(strings = {"socks4", "socks4a", "socks5", "socks5h", "direct", "password"})
    void connectRateRecordsEveryCycle(String how) {
        List<String> args = new ArrayList<>(List.of("connect-rate", "--count", "12", "--concurrency", "3",
                "--duration", "20s"));
        switch (how) {
            case "direct" -> { }
            case "password" -> args.addAll(List.of("--proxy", guardedProxy()));
            // The proxy resolves the name (from /etc/hosts), so the SOCKS4a and SOCKS5 name requests are used.
            case "socks4a", "socks5h" -> args.addAll(List.of("--proxy", proxy(how), "--target-host", "localhost"));
            default -> args.addAll(List.of("--proxy", proxy(how)));
        }
        Result result = run(args.toArray(String[]::new));
        assertThat(result.errors()).as(result.parameters().toString()).isZero();
        assertThat(result.figure("cycles_total")).isEqualTo(12.0);
        assertThat(result.figure("handshake_count")).isEqualTo(12.0);
        assertThat(result.figure("cycle_count")).isEqualTo(12.0);
    }

    @Test
    void connectRateReportsTheServersCpuPerTunnel() {
        // The server runs in this process: its CPU is this process's.
        String pid = Long.toString(ProcessHandle.current().pid());
        Result result = run("connect-rate", "--proxy", proxy("socks5"), "--server-pid", pid, "--count", "200",
                "--concurrency", "4", "--duration", "20s");
        assertThat(result.parameters()).containsEntry("cpu_pid", pid);
        assertThat(result.figure("server_cpu_us_per_tunnel")).isNotNegative();
        assertThat(result.figure("generator_cpu_us_per_tunnel")).isNotNegative();
        assertThat(result.unit("server_cpu_us_per_tunnel")).isEqualTo("us");
        assertThat(result.figures()).doesNotContainKey("load_cpu_cores"); // no --targets-pid
    }

    @Test
    void connectRateAddsTheTargetsProcessToTheLoadSide() {
        // In-process targets: this process stands in for the targets' process.
        String pid = Long.toString(ProcessHandle.current().pid());
        Result result = run("connect-rate", "--proxy", proxy("socks5"), "--targets-pid", pid, "--count", "100",
                "--concurrency", "4", "--duration", "20s");
        assertThat(result.figure("targets_cpu_us_per_tunnel")).isNotNegative();
        assertThat(result.figure("load_cpu_cores")).isGreaterThanOrEqualTo(result.figure("generator_cpu_cores"));
    }

    @Test
    void connectRateCountsSampleTimesFromTheOriginGiven() {
        long fiveSecondsAgo = System.currentTimeMillis() - 5000;
        Result result = run("connect-rate", "--proxy", proxy("socks5"), "--await-proxy", "5s",
                "--time-origin", Long.toString(fiveSecondsAgo), "--concurrency", "2", "--duration", "1500ms");
        assertThat(result.samples()).isNotEmpty();
        // The first sample ends a second after sampling began, which was at least 5 s after the origin.
        assertThat(result.samples().get(0).elapsedSeconds()).isGreaterThanOrEqualTo(6.0);
        assertThat(Double.parseDouble(result.parameters().get("samples_start_s"))).isGreaterThanOrEqualTo(5.0);
    }

    @Test
    void awaitProxyGivesUpOnAPortNobodyListensOn() throws Exception {
        int unused;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            unused = socket.getLocalPort();
        }
        int code = LoadGenerator.run(r -> { }, System.out, "connect-rate", "--proxy", "socks5://127.0.0.1:" + unused,
                "--await-proxy", "300ms", "--count", "1", "--duration", "1s");
        assertThat(code).isEqualTo(1);
    }

    @Test
    void requestResponseCompletesTheRoundTripsAsked() {
        Result result = run("request-response", "--proxy", guardedProxy(), "--connections", "2", "--count", "40",
                "--size", "100", "--duration", "20s");
        assertThat(result.errors()).isZero();
        assertThat(result.figure("requests_total")).isEqualTo(40.0);
        assertThat(result.figure("rtt_count")).isEqualTo(40.0);
    }

    @Test
    void idleTunnelsReadTheServersMemory() {
        String pid = Long.toString(ProcessHandle.current().pid()); // the in-process Ferry runs in this JVM
        Result result = run("idle-tunnels", "--proxy", proxy("socks5"), "--tunnels", "10", "--server-pid", pid,
                "--settle", "100ms", "--duration", "20s");
        assertThat(result.errors()).isZero();
        assertThat(result.figure("tunnels_open")).isEqualTo(10.0);
        assertThat(result.figure("rss_before_bytes")).isPositive();
        assertThat(result.figure("rss_after_bytes")).isPositive();
    }

    @Test
    void slowReaderSamplesMemoryAndTheDataWasHeldNotLost() {
        String pid = Long.toString(ProcessHandle.current().pid());
        Result result = run("slow-reader", "--proxy", proxy("socks5"), "--tunnels", "2", "--server-pid", pid,
                "--duration", "1s", "--sample-interval", "250ms", "--resume", "300ms");
        assertThat(result.errors()).isZero();
        assertThat(result.samples()).isNotEmpty().allSatisfy(s -> assertThat(s.value()).isPositive());
        assertThat(result.figure("bytes_read_after_resume")).isPositive();
    }

    @ParameterizedTest
    @ValueSource(strings = {"open", "password", "direct"})
    void udpDatagramsComeBack(String how) {
        List<String> args = new ArrayList<>(List.of("udp-rate", "--count", "200", "--window", "8", "--duration", "5s"));
        if (how.equals("open")) {
            args.addAll(List.of("--proxy", proxy("socks5")));
        } else if (how.equals("password")) {
            args.addAll(List.of("--proxy", guardedProxy()));
        }
        Result result = run(args.toArray(String[]::new));
        assertThat(result.figure("sent_total")).isLessThanOrEqualTo(200.0);
        assertThat(result.figure("echoed_total")).isPositive();
    }

    @Test
    void resultsGoToTheFileAsJsonLines(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("results.jsonl");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int code = LoadGenerator.run(r -> { }, new PrintStream(printed, true, StandardCharsets.UTF_8),
                "request-response", "--count", "5", "--duration", "20s", "--label", "direct-check", "--output", "csv",
                "--results", file.toString());
        assertThat(code).isZero();
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("request-response,direct-check,requests_total,5,");
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).startsWith("{\"mode\":\"request-response\",\"label\":\"direct-check\"")
                .contains("\"requests_total\":5");
    }

    @Test
    void targetsCloseEveryConnectionTheirClientsEnded() throws Exception {
        // Targets in a process of their own (as compare.sh runs them) serve run after run: a
        // connection left open per cycle would run them out of descriptors.
        try (Targets targets = Targets.start(dev.ferryproxy.transport.Transport.select(
                dev.ferryproxy.transport.TransportKind.AUTO), 1, InetAddress.getLoopbackAddress())) {
            String spec = targets.addresses().toString();
            run("connect-rate", "--targets", spec, "--proxy", proxy("socks5"), "--count", "30", "--duration", "20s");
            run("throughput", "--targets", spec, "--proxy", proxy("socks5"), "--direction", "down", "--duration", "300ms");
            run("throughput", "--targets", spec, "--direction", "up", "--bytes", "100000", "--duration", "20s");
            run("request-response", "--targets", spec, "--count", "10", "--duration", "20s");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(targets.openConnections()).isZero());
        }
    }

    @Test
    void targetAddressesReadBackWhatTargetsModePrints() {
        TargetAddresses parsed = TargetAddresses.parse("sink=127.0.0.1:1,source=127.0.0.1:2,echo=[::1]:3,udp-echo=127.0.0.1:4");
        assertThat(parsed.echo().getHostString()).isEqualTo("::1");
        assertThat(TargetAddresses.parse(parsed.toString())).isEqualTo(parsed);
    }

    @Test
    void aModeIsNeeded() {
        assertThat(LoadGenerator.run(r -> { }, System.out)).isEqualTo(2);
        assertThat(LoadGenerator.run(r -> { }, System.out, "throughput", "--no-such-option")).isEqualTo(2);
    }
}
