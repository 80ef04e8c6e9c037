package dev.ferryproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.LogCapture;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code ProxyServer.drain}: not ready at once, listeners closed after the delay (connecting is
 * refused then), open tunnels carried on until they end, and the ones outliving the deadline
 * closed.
 */
@Timeout(60)
class DrainEndToEndTest {
    private DnsStub dns;
    private EchoServer echo;
    private RunningProxy proxy;
    private LogCapture log;

    @BeforeEach
    void start() throws Exception {
        dns = DnsStub.start(Map.of());
        echo = EchoServer.start(Loopback.IPV4);
        proxy = RunningProxy.start(dns.address());
        log = LogCapture.of("dev.ferryproxy.server");
    }

    @AfterEach
    void stop() throws Exception {
        Closeables.closeAll(log, proxy, echo, dns);
    }

    @Test
    void aTunnelThatEndsBeforeTheDeadlineRunsOnAndTheListenersCloseAfterTheDelay() throws Exception {
        InetSocketAddress address = proxy.address();
        try (RawSocksClient tunnel = RawSocksClient.socks5Tunnel(address, echo.address())) {
            assertThat(proxy.server().isReady()).isTrue();
            CompletableFuture<Integer> drained = proxy.server()
                    .drain(Duration.ofMillis(300), Duration.ofSeconds(30)).toCompletableFuture();
            assertThat(proxy.server().isReady()).isFalse();
            assertThat(log.messages()).contains("draining: ready=false; listeners close in 0.3s");

            await().atMost(Duration.ofSeconds(10)).until(() -> refused(address));
            log.awaitMessage("listeners closed", m -> m.equals("listeners closed; 1 connection(s) open"),
                    Duration.ofSeconds(10));
            tunnel.send("still here");
            assertThat(tunnel.readText(10)).isEqualTo("still here");
            assertThat(drained).isNotDone();
            assertThat(proxy.server().openConnections()).isEqualTo(1);

            tunnel.shutdownOutput();
            assertThat(tunnel.readUntilEof()).isEmpty();
            assertThat(drained.get(10, TimeUnit.SECONDS)).isZero();
        }
        assertThat(log.messages()).contains("drained").noneMatch(m -> m.startsWith("drain deadline passed"));
        assertThat(proxy.server().openConnections()).isZero();
    }

    @Test
    void aTunnelOutlivingTheDeadlineIsClosed() throws Exception {
        try (RawSocksClient tunnel = RawSocksClient.socks5Tunnel(proxy.address(), echo.address());
                RawSocksClient handshaking = RawSocksClient.connect(proxy.address())) {
            handshaking.greetNoAuth();
            tunnel.send("x");
            assertThat(tunnel.readText(1)).isEqualTo("x");
            CompletableFuture<Integer> drained = proxy.server()
                    .drain(Duration.ZERO, Duration.ofMillis(500)).toCompletableFuture();
            assertThat(drained.get(10, TimeUnit.SECONDS))
                    .as("connections closed at the deadline; server log: %s", log.messages()).isEqualTo(2);
            assertThat(tunnel.readUntilEof()).isEmpty();
            assertThat(handshaking.readUntilEof()).isEmpty();
            assertThat(proxy.server().openConnections()).isZero();
            assertThat(log.messages()).contains("drain deadline passed: closing 2 connection(s)");
            assertThat(proxy.server().drain(Duration.ZERO, Duration.ZERO).toCompletableFuture()).isSameAs(drained);
        }
    }

    /**
     * The notice that the listeners closed comes on Netty's global executor, which a loaded
     * machine may run late: here it is held until the deadline has closed both connections. The
     * late notice must not report a drain that ended by itself (0) when the deadline ended it (2).
     */
    @Test
    void aLateListenersClosedNoticeDoesNotHideTheConnectionsTheDeadlineClosed() throws Exception {
        AtomicBoolean release = new AtomicBoolean();
        try (RawSocksClient tunnel = RawSocksClient.socks5Tunnel(proxy.address(), echo.address());
                RawSocksClient handshaking = RawSocksClient.connect(proxy.address())) {
            handshaking.greetNoAuth();
            // Spins rather than parks: BlockHound rightly fails a parked thread on Netty's executors.
            GlobalEventExecutor.INSTANCE.execute(() -> spinUntil(release, Duration.ofSeconds(20)));
            CompletableFuture<Integer> drained = proxy.server()
                    .drain(Duration.ZERO, Duration.ofMillis(200)).toCompletableFuture();
            log.awaitMessage("the deadline", m -> m.startsWith("drain deadline passed"), Duration.ofSeconds(10));
            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.server().openConnections() == 0);
            release.set(true);
            assertThat(drained.get(10, TimeUnit.SECONDS))
                    .as("connections closed at the deadline; server log: %s", log.messages()).isEqualTo(2);
            assertThat(log.messages()).doesNotContain("drained");
        } finally {
            release.set(true);
        }
    }

    private static void spinUntil(AtomicBoolean flag, Duration atMost) {
        long end = System.nanoTime() + atMost.toNanos();
        while (!flag.get() && System.nanoTime() < end) {
            // BlockHound counts even Thread.onSpinWait as blocking, so the loop is bare.
        }
    }

    @Test
    void withNoConnectionsTheDrainEndsOnceTheListenersClose() throws Exception {
        CompletableFuture<Integer> drained = proxy.server()
                .drain(Duration.ZERO, Duration.ofSeconds(30)).toCompletableFuture();
        assertThat(drained.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(refused(proxy.address())).isTrue();
    }

    private static boolean refused(InetSocketAddress address) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(address, 2000);
            return false;
        } catch (ConnectException e) {
            return true;
        }
    }
}
