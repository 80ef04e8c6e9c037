package dev.ferryproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferryproxy.accesslog.AccessLogEntry;
import dev.ferryproxy.accesslog.EndReason;
import dev.ferryproxy.relay.RelayMode;
import dev.ferryproxy.transport.TransportKind;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.LogCapture;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import dev.ferryproxy.testing.SocksRequests;
import dev.ferryproxy.testing.TcpTarget;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Both relays on epoll, the same checks for each: every byte arrives, in order, and the meters and
 * the access log count exactly the bytes sent each way, with payload pipelined behind the request,
 * a target that speaks first, half-close either way with far more data than the sockets buffer,
 * a reset, and the idle timeout. Splice bypasses the pipeline, so these are what keep its counts,
 * its end of stream and its idle timer honest.
 */
@Timeout(60)
class RelayModesEndToEndTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final int BIG = 16 * 1024 * 1024;

    private final ConcurrentLinkedQueue<AccessLogEntry> entries = new ConcurrentLinkedQueue<>();
    private SimpleMeterRegistry registry;
    private DnsStub dns;
    private TcpTarget target;
    private RunningProxy proxy;

    @BeforeEach
    void start() throws Exception {
        Transports.assumeAvailable(TransportKind.EPOLL);
        registry = new SimpleMeterRegistry();
        dns = DnsStub.start(Map.of());
        target = TcpTarget.start(Loopback.IPV4);
    }

    @AfterEach
    void stop() throws Exception {
        Closeables.closeAll(proxy, target, dns);
    }

    private void startProxy(RelayMode relay, Duration idleTimeout) throws IOException {
        proxy = RunningProxy.start(dns.address(), b -> b.transport(TransportKind.EPOLL).relay(relay)
                .idleTimeout(idleTimeout).meterRegistry(registry).accessLog(entries::add).workerThreads(1));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = RelayMode.class, names = {"BUFFER", "SPLICE"})
    void countsEveryByteWithPipelinedPayloadABannerAndTheClientEndingFirst(RelayMode relay) throws Exception {
        startProxy(relay, Duration.ZERO);
        byte[] pipelined = SeededBytes.generate(1, 100_000);
        byte[] banner = SeededBytes.generate(2, 30_000);
        try (LogCapture log = LogCapture.of("dev.ferryproxy.relay.SpliceRelay");
                RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(concat(SocksRequests.socks5Greeting(), SocksRequests.socks5Connect(target.address()), pipelined));
            Socket upstream = target.accept(TIMEOUT);
            upstream.getOutputStream().write(banner);
            client.read(2);
            assertThat(client.readSocks5Reply().rep()).isZero();
            assertThat(client.read(banner.length)).isEqualTo(banner);
            assertThat(upstream.getInputStream().readNBytes(pipelined.length)).isEqualTo(pipelined);

            // Both ways at once, then the client ends; the target still sends BIG after that.
            CompletableFuture<SeededBytes.Digest> atTarget =
                    Background.call("target-reader", () -> SeededBytes.readAndDigest(upstream.getInputStream()));
            CompletableFuture<SeededBytes.Digest> atClient =
                    Background.call("client-reader", () -> SeededBytes.readAndDigest(client.socket().getInputStream()));
            String up = SeededBytes.writeAndDigest(client.socket().getOutputStream(), 3, BIG);
            client.shutdownOutput();
            assertThat(atTarget.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(new SeededBytes.Digest(BIG, up));
            String down = SeededBytes.writeAndDigest(upstream.getOutputStream(), 4, BIG);
            upstream.shutdownOutput();
            assertThat(atClient.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(new SeededBytes.Digest(BIG, down));
            upstream.close();
            assertSplicedIf(relay, log);
        }
        AccessLogEntry entry = awaitEntry();
        assertThat(entry.end()).isEqualTo(EndReason.CLIENT_CLOSED);
        assertCounted(entry, pipelined.length + BIG, banner.length + BIG);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = RelayMode.class, names = {"BUFFER", "SPLICE"})
    void theTargetEndingFirstStillReceivesEverythingTheClientSendsAfter(RelayMode relay) throws Exception {
        startProxy(relay, Duration.ZERO);
        try (RawSocksClient client = RawSocksClient.socks5Tunnel(proxy.address(), target.address());
                Socket upstream = target.accept(TIMEOUT)) {
            upstream.getOutputStream().write("bye".getBytes());
            upstream.shutdownOutput();
            assertThat(client.readUntilEof()).isEqualTo("bye".getBytes());
            CompletableFuture<SeededBytes.Digest> atTarget =
                    Background.call("target-reader", () -> SeededBytes.readAndDigest(upstream.getInputStream()));
            String up = SeededBytes.writeAndDigest(client.socket().getOutputStream(), 5, BIG);
            client.shutdownOutput();
            assertThat(atTarget.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(new SeededBytes.Digest(BIG, up));
        }
        AccessLogEntry entry = awaitEntry();
        assertThat(entry.end()).isEqualTo(EndReason.TARGET_CLOSED);
        assertCounted(entry, BIG, 3);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = RelayMode.class, names = {"BUFFER", "SPLICE"})
    void smallExchangesWithHalfClosesInTurnAreCountedExactly(RelayMode relay) throws Exception {
        startProxy(relay, Duration.ZERO);
        try (RawSocksClient client = RawSocksClient.socks5Tunnel(proxy.address(), target.address());
                Socket upstream = target.accept(TIMEOUT)) {
            for (int i = 1; i <= 20; i++) {
                byte[] question = SeededBytes.generate(i, i * 37);
                client.send(question);
                assertThat(upstream.getInputStream().readNBytes(question.length)).isEqualTo(question);
                byte[] answer = SeededBytes.generate(-i, i * 101);
                upstream.getOutputStream().write(answer);
                assertThat(client.read(answer.length)).isEqualTo(answer);
            }
            client.send("last");
            client.shutdownOutput();
            assertThat(upstream.getInputStream().readAllBytes()).isEqualTo("last".getBytes());
            upstream.getOutputStream().write("done".getBytes());
            upstream.shutdownOutput();
            assertThat(client.readUntilEof()).isEqualTo("done".getBytes());
        }
        AccessLogEntry entry = awaitEntry();
        assertCounted(entry, 37L * 210 + 4, 101L * 210 + 4);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = RelayMode.class, names = {"BUFFER", "SPLICE"})
    void aResetClosesBothSidesAndIsLoggedAsAnError(RelayMode relay) throws Exception {
        startProxy(relay, Duration.ZERO);
        RawSocksClient client = RawSocksClient.socks5Tunnel(proxy.address(), target.address());
        try (Socket upstream = target.accept(TIMEOUT)) {
            client.send("hello");
            assertThat(upstream.getInputStream().readNBytes(5)).isEqualTo("hello".getBytes());
            client.socket().setSoLinger(true, 0);
            client.close();
            upstream.setSoTimeout((int) TIMEOUT.toMillis());
            assertThat(drain(upstream)).isZero();
        }
        AccessLogEntry entry = awaitEntry();
        assertThat(entry.end()).isEqualTo(EndReason.ERROR);
        assertCounted(entry, 5, 0);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = RelayMode.class, names = {"BUFFER", "SPLICE"})
    void anIdleTunnelIsClosedAndLoggedAsIdle(RelayMode relay) throws Exception {
        startProxy(relay, Duration.ofMillis(600));
        long start = System.nanoTime();
        try (RawSocksClient client = RawSocksClient.socks5Tunnel(proxy.address(), target.address());
                Socket upstream = target.accept(TIMEOUT)) {
            // Traffic every 100 ms, either way, keeps it open well past the timeout. The sleep
            // paces the traffic (the gaps are the point), with six times the margin to the timeout.
            for (int i = 0; i < 12; i++) {
                Thread.sleep(100);
                if (i % 2 == 0) {
                    client.send("ping");
                    assertThat(upstream.getInputStream().readNBytes(4)).isEqualTo("ping".getBytes());
                } else {
                    upstream.getOutputStream().write("pong".getBytes());
                    assertThat(client.read(4)).isEqualTo("pong".getBytes());
                }
            }
            long activeMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(client.readUntilEof()).isEmpty();
            upstream.setSoTimeout((int) TIMEOUT.toMillis());
            assertThat(upstream.getInputStream().read()).isEqualTo(-1);
            assertThat(activeMillis).isGreaterThan(600);
        }
        AccessLogEntry entry = awaitEntry();
        assertThat(entry.end()).isEqualTo(EndReason.IDLE_TIMEOUT);
        assertCounted(entry, 24, 24);
    }

    @org.junit.jupiter.api.Test
    void spliceOnNioRelaysInBuffersAndSaysSoAtStart() throws Exception {
        try (LogCapture log = LogCapture.of("dev.ferryproxy.server.ProxyServer")) {
            proxy = RunningProxy.start(dns.address(), b -> b.transport(TransportKind.NIO).relay(RelayMode.SPLICE)
                    .meterRegistry(registry).accessLog(entries::add));
            assertThat(proxy.server().relay().splice()).isFalse();
            assertThat(log.messages()).contains("relay splice needs the epoll transport; on nio tunnels relay in buffers");
        }
        try (RawSocksClient client = RawSocksClient.socks5Tunnel(proxy.address(), target.address());
                Socket upstream = target.accept(TIMEOUT)) {
            client.send("over nio");
            assertThat(upstream.getInputStream().readNBytes(8)).isEqualTo("over nio".getBytes());
        }
        assertCounted(awaitEntry(), 8, 0);
    }

    private static int drain(Socket socket) {
        try {
            return socket.getInputStream().readAllBytes().length;
        } catch (IOException reset) {
            return 0;
        }
    }

    private AccessLogEntry awaitEntry() {
        await("an access-log entry").atMost(TIMEOUT).until(() -> !entries.isEmpty());
        return entries.poll();
    }

    /** The access log and the meters both say exactly this many bytes each way. */
    private void assertCounted(AccessLogEntry entry, long fromClient, long toClient) {
        assertThat(entry.bytesFromClient()).isEqualTo(fromClient);
        assertThat(entry.bytesToClient()).isEqualTo(toClient);
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(relayed("client_to_target")).isEqualTo(fromClient);
            assertThat(relayed("target_to_client")).isEqualTo(toClient);
        });
    }

    private long relayed(String direction) {
        return (long) registry.get("ferry.relayed.bytes").tag("direction", direction).functionCounter().count();
    }

    private static void assertSplicedIf(RelayMode relay, LogCapture log) {
        long splices = log.messages().stream().filter(m -> m.startsWith("splicing ")).count();
        assertThat(splices).isEqualTo(relay == RelayMode.SPLICE ? 2 : 0);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
