package dev.ferryproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.HttpTargetServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The JDK's own SOCKS client ({@code java.net.Proxy} of type SOCKS, which speaks SOCKS5) through
 * the proxy: raw sockets to an echo target by IPv4, by IPv6 and by unresolved name (sent as a
 * domain for the proxy to resolve), and {@code URL.openConnection(proxy)} to an HTTP target.
 */
@Timeout(60)
class JdkSocksClientEndToEndTest {
    private static final String STUB_NAME = "echo.ferry.test";
    private static final int TIMEOUT_MILLIS = 5_000;

    private static DnsStub dns;
    private static EchoServer ipv4Echo;
    private static EchoServer ipv6Echo;
    private static HttpTargetServer ipv4Http;
    private static HttpTargetServer ipv6Http;
    private static RunningProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of(STUB_NAME, List.of(Loopback.IPV4)));
        ipv4Echo = EchoServer.start(Loopback.IPV4);
        ipv6Echo = EchoServer.start(Loopback.IPV6);
        ipv4Http = HttpTargetServer.start(Loopback.IPV4, SeededBytes.generate(41, 100_000));
        ipv6Http = HttpTargetServer.start(Loopback.IPV6, SeededBytes.generate(61, 100_000));
        proxy = RunningProxy.start(dns.address());
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(proxy, ipv6Http, ipv4Http, ipv6Echo, ipv4Echo, dns);
    }

    @Test
    void echoesThroughSocketToIpv4Target() throws Exception {
        assertEchoes(new InetSocketAddress(Loopback.IPV4, ipv4Echo.port()));
    }

    @Test
    void echoesThroughSocketToIpv6Target() throws Exception {
        assertEchoes(new InetSocketAddress(Loopback.IPV6, ipv6Echo.port()));
        // The proxy dialled the target over IPv6 (only this test uses the IPv6 echo server).
        assertThat(ipv6Echo.awaitPeer(Duration.ofSeconds(5)).getAddress()).isEqualTo(Loopback.IPV6);
    }

    @Test
    void echoesThroughSocketToUnresolvedLocalhost() throws Exception {
        assertEchoes(InetSocketAddress.createUnresolved("localhost", ipv4Echo.port()));
    }

    @Test
    void echoesThroughSocketToNameOnlyTheProxyCanResolve() throws Exception {
        assertEchoes(InetSocketAddress.createUnresolved(STUB_NAME, ipv4Echo.port()));
        assertThat(dns.wasAskedAbout(STUB_NAME)).isTrue();
    }

    @Test
    void fetchesUrlFromIpv4Target() throws Exception {
        assertFetches(ipv4Http, "127.0.0.1");
    }

    @Test
    void fetchesUrlFromIpv6Target() throws Exception {
        assertFetches(ipv6Http, "[::1]");
    }

    private static void assertEchoes(InetSocketAddress target) throws Exception {
        byte[] payload = SeededBytes.generate(target.getPort(), 200_000);
        try (Socket socket = new Socket(proxy.jdkProxy())) {
            socket.setSoTimeout(TIMEOUT_MILLIS);
            socket.connect(target, TIMEOUT_MILLIS);
            // Write in a second thread: 200 kB could fill both directions' buffers before anyone reads.
            Thread writer = new Thread(() -> {
                try {
                    socket.getOutputStream().write(payload);
                    socket.shutdownOutput();
                } catch (Exception e) {
                    // the read side fails the test
                }
            }, "jdk-socks-writer");
            writer.start();
            byte[] echoed = socket.getInputStream().readAllBytes();
            writer.join(TIMEOUT_MILLIS);
            assertThat(echoed.length).isEqualTo(payload.length);
            assertThat(SeededBytes.sha256Hex(echoed)).isEqualTo(SeededBytes.sha256Hex(payload));
        }
    }

    private static void assertFetches(HttpTargetServer target, String urlHost) throws Exception {
        HttpURLConnection connection =
                (HttpURLConnection) new URL(target.url(urlHost)).openConnection(proxy.jdkProxy());
        connection.setConnectTimeout(TIMEOUT_MILLIS);
        connection.setReadTimeout(TIMEOUT_MILLIS);
        try {
            assertThat(connection.getResponseCode()).isEqualTo(200);
            try (InputStream body = connection.getInputStream()) {
                assertThat(SeededBytes.sha256Hex(body.readAllBytes())).isEqualTo(SeededBytes.sha256Hex(target.body()));
            }
        } finally {
            connection.disconnect();
        }
    }
}
