package dev.ferryproxy.e2e;

import static dev.ferryproxy.testing.SocksRequests.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;

/**
 * The handshake deadline (300 ms here): a client stuck in the middle of its handshake is closed
 * without a reply once it passes; a tunnel that is up is no longer subject to it.
 */
@Timeout(60)
class HandshakeTimeoutEndToEndTest {
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofMillis(300);
    /** Far above the deadline, so a slow machine does not fail the test; the close comes much sooner. */
    private static final int CLOSE_WAIT_MILLIS = 5_000;

    private static DnsStub dns;
    private static EchoServer echo;
    private static RunningProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of());
        echo = EchoServer.start(Loopback.IPV4);
        proxy = RunningProxy.start(dns.address(), b -> b.handshakeTimeout(HANDSHAKE_TIMEOUT));
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(proxy, echo, dns);
    }

    @Test
    void closesClientThatSentHalfASocks5Greeting() throws Exception {
        assertClosedAfterDeadline(bytes(0x05, 0x02, 0x00));
    }

    @Test
    void closesClientThatSentHalfASocks5Request() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.socket().setSoTimeout(CLOSE_WAIT_MILLIS);
            long start = System.nanoTime();
            client.greetNoAuth().send(bytes(0x05, 0x01, 0x00, 0x01, 127, 0));

            assertThat(client.readUntilEof()).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .isGreaterThanOrEqualTo(HANDSHAKE_TIMEOUT.dividedBy(2));
        }
    }

    @Test
    void closesClientThatSentHalfASocks4Request() throws Exception {
        assertClosedAfterDeadline(bytes(0x04, 0x01, 0x00, 0x50, 127, 0, 0, 1, 'u', 's'));
    }

    @Test
    void closesClientThatSentNothing() throws Exception {
        assertClosedAfterDeadline(new byte[0]);
    }

    @Test
    void tunnelOutlivesHandshakeDeadline() throws Exception {
        try (RawSocksClient tunnel = RawSocksClient.socks5Tunnel(proxy.address(),
                new InetSocketAddress(Loopback.IPV4, echo.port()))) {
            // Idle for twice the deadline: the read times out on our side, the proxy does not close.
            tunnel.socket().setSoTimeout(Math.toIntExact(HANDSHAKE_TIMEOUT.multipliedBy(2).toMillis()));
            assertThatThrownBy(() -> tunnel.read(1)).isInstanceOf(SocketTimeoutException.class);

            tunnel.socket().setSoTimeout(CLOSE_WAIT_MILLIS);
            tunnel.send("still here");
            assertThat(tunnel.readText("still here".length())).isEqualTo("still here");
        }
    }

    private static void assertClosedAfterDeadline(byte[] partialHandshake) throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.socket().setSoTimeout(CLOSE_WAIT_MILLIS);
            long start = System.nanoTime();
            if (partialHandshake.length > 0) {
                client.send(partialHandshake);
            }

            assertThat(client.readUntilEof()).as("bytes before the close").isEmpty();
            // The deadline runs from accept, a moment before our clock started: allow some slack.
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .isGreaterThanOrEqualTo(HANDSHAKE_TIMEOUT.dividedBy(2));
        }
    }
}
