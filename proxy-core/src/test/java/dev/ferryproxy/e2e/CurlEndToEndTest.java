package dev.ferryproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.transport.Transport;
import dev.ferryproxy.transport.TransportKind;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.HttpTargetServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * curl, an independent SOCKS client, fetches a known body over HTTP through the proxy with each of
 * its SOCKS modes: SOCKS4 (curl resolves), SOCKS4a (the proxy resolves), SOCKS5 (curl resolves)
 * and SOCKS5 with host names (the proxy resolves). Targets are named by IPv4 literal, IPv6 literal
 * (target bound on ::1), {@code localhost} (from /etc/hosts) and a name only the DNS stub knows.
 * The whole matrix runs on the default transport, a subset on NIO and on epoll explicitly.
 */
@Timeout(60)
class CurlEndToEndTest {
    private static final String STUB_NAME = "web.ferry.test";

    private static DnsStub dns;
    private static HttpTargetServer ipv4Target;
    private static HttpTargetServer ipv6Target;
    private static RunningProxy proxy;
    private static RunningProxy nioProxy;
    private static RunningProxy epollProxy;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of(STUB_NAME, List.of(Loopback.IPV4)));
        ipv4Target = HttpTargetServer.start(Loopback.IPV4, SeededBytes.generate(4, 256 * 1024));
        ipv6Target = HttpTargetServer.start(Loopback.IPV6, SeededBytes.generate(6, 256 * 1024));
        proxy = RunningProxy.start(dns.address());
        nioProxy = RunningProxy.start(dns.address(), b -> b.transport(TransportKind.NIO));
        if (Transport.epollUnavailabilityCause() == null) {
            epollProxy = RunningProxy.start(dns.address(), b -> b.transport(TransportKind.EPOLL));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(epollProxy, nioProxy, proxy, ipv6Target, ipv4Target, dns);
    }

    static Stream<Arguments> modesAndTargets() {
        return Stream.of(
                Arguments.of(TransportKind.AUTO, "--socks4", "127.0.0.1"),
                Arguments.of(TransportKind.AUTO, "--socks4", "localhost"),
                Arguments.of(TransportKind.AUTO, "--socks4a", "127.0.0.1"),
                Arguments.of(TransportKind.AUTO, "--socks4a", "localhost"),
                Arguments.of(TransportKind.AUTO, "--socks4a", STUB_NAME),
                Arguments.of(TransportKind.AUTO, "--socks5", "127.0.0.1"),
                Arguments.of(TransportKind.AUTO, "--socks5", "[::1]"),
                Arguments.of(TransportKind.AUTO, "--socks5", "localhost"),
                Arguments.of(TransportKind.AUTO, "--socks5-hostname", "127.0.0.1"),
                Arguments.of(TransportKind.AUTO, "--socks5-hostname", "[::1]"),
                Arguments.of(TransportKind.AUTO, "--socks5-hostname", "localhost"),
                Arguments.of(TransportKind.AUTO, "--socks5-hostname", STUB_NAME),
                Arguments.of(TransportKind.NIO, "--socks5-hostname", "localhost"),
                Arguments.of(TransportKind.NIO, "--socks5-hostname", STUB_NAME),
                Arguments.of(TransportKind.NIO, "--socks5", "[::1]"),
                Arguments.of(TransportKind.EPOLL, "--socks5-hostname", "localhost"),
                Arguments.of(TransportKind.EPOLL, "--socks5-hostname", STUB_NAME),
                Arguments.of(TransportKind.EPOLL, "--socks4a", STUB_NAME),
                Arguments.of(TransportKind.EPOLL, "--socks5", "[::1]"));
    }

    @ParameterizedTest(name = "{0} curl {1} http://{2}")
    @MethodSource("modesAndTargets")
    void fetchesBodyThroughProxy(TransportKind transport, String mode, String urlHost) throws Exception {
        Transports.assumeAvailable(transport);
        HttpTargetServer target = urlHost.startsWith("[") ? ipv6Target : ipv4Target;
        RunningProxy server = transport == TransportKind.NIO ? nioProxy
                : transport == TransportKind.EPOLL ? epollProxy : proxy;

        Curl.Result result = Curl.fetch(mode, server.hostAndPort(), target.url(urlHost));

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(SeededBytes.sha256Hex(result.body())).as("%s", result)
                .isEqualTo(SeededBytes.sha256Hex(target.body()));
        if (urlHost.equals(STUB_NAME)) {
            assertThat(dns.wasAskedAbout(STUB_NAME)).as("the proxy asked the stub about " + STUB_NAME).isTrue();
        }
    }

    @Test
    void reportsUnresolvableNameAsSocks5HostUnreachable() throws Exception {
        Curl.Result result = Curl.fetch("--socks5-hostname", proxy.hostAndPort(),
                "http://nowhere.invalid:" + ipv4Target.port() + HttpTargetServer.PATH);

        // 97 is CURLE_PROXY; curl prints the REP code it got in parentheses.
        assertThat(result.exitCode()).as("%s", result).isEqualTo(97);
        assertThat(result.stderr()).as("%s", result).contains("(4)");
        assertThat(result.body()).isEmpty();
        assertThat(dns.wasAskedAbout("nowhere.invalid")).isFalse();
    }

    @Test
    void reportsRefusedTargetAsSocks4Rejection() throws Exception {
        InetSocketAddress closed = Loopback.closedPort(Loopback.IPV4);

        Curl.Result result = Curl.fetch("--socks4", proxy.hostAndPort(),
                "http://127.0.0.1:" + closed.getPort() + HttpTargetServer.PATH);

        assertThat(result.exitCode()).as("%s", result).isEqualTo(97);
        assertThat(result.stderr()).as("%s", result).containsIgnoringCase("rejected");
        assertThat(result.body()).isEmpty();
    }
}
