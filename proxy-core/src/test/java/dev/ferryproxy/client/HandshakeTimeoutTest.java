package dev.ferryproxy.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.testing.Loopback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;

/**
 * A "proxy" that accepts and never answers: the handshake fails with a
 * {@link SocksHandshakeTimeoutException} once the configured timeout has passed, not before and
 * not much after, and the client closes its connection. (A connect timeout cannot be provoked
 * reliably on loopback, which is where all test traffic stays.)
 */
@Timeout(30)
class HandshakeTimeoutTest {
    private static final Duration TIMEOUT = Duration.ofMillis(300);

    @Test
    void silentSocks5ProxyTimesOutWaitingForTheMethodSelection() throws Exception {
        assertTimesOut("socks5h", "method selection", new byte[] {5, 1, 0});
    }

    @Test
    void silentSocks4ProxyTimesOutWaitingForTheReply() throws Exception {
        assertTimesOut("socks4", "reply to CONNECT", new byte[] {4, 1, 0, 80, 127, 0, 0, 1, 0});
    }

    private static void assertTimesOut(String scheme, String waitingFor, byte[] request) throws Exception {
        try (ServerSocket silent = new ServerSocket()) {
            silent.bind(new InetSocketAddress(Loopback.IPV4, 0));
            try (SocksClient client = SocksClient.builder().proxy(scheme + "://127.0.0.1:" + silent.getLocalPort())
                    .handshakeTimeout(TIMEOUT).build()) {
                long start = System.nanoTime();
                Throwable failure = Tunnels.failureOf(client.connect("127.0.0.1", 80));
                long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
                assertThat(failure).isInstanceOf(SocksHandshakeTimeoutException.class)
                        .hasMessageContaining("300 ms").hasMessageContaining(waitingFor);
                assertThat(elapsedMillis).isBetween(TIMEOUT.toMillis() - 20, TIMEOUT.toMillis() + 2_000);
                // The client sent its request, then closed its connection.
                silent.setSoTimeout(5_000);
                try (Socket accepted = silent.accept()) {
                    accepted.setSoTimeout(5_000);
                    InputStream in = accepted.getInputStream();
                    assertThat(in.readNBytes(request.length)).isEqualTo(request);
                    assertThat(in.read()).as("closed by the client").isEqualTo(-1);
                }
            }
        }
    }
}
