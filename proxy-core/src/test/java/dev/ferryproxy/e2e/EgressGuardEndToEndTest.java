package dev.ferryproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Action;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.policy.EgressGuard;
import dev.ferryproxy.policy.Rule;
import dev.ferryproxy.proxyprotocol.ProxyProtocolMode;
import dev.ferryproxy.proxyprotocol.ProxyProtocolSettings;
import dev.ferryproxy.server.HostAddresses;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.LogCapture;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.ProxyHeaders;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SocksRequests;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Issue 13, finding 7, as a remote client sees it: a client off loopback (its address given by a
 * trusted load balancer's PROXY header, the only way a test reaches the server from a non-loopback
 * address without leaving loopback) is allowed anywhere by a rule with {@code clients:}, as the
 * open-proxy error suggests. The server's host, the cloud metadata addresses and the host's own
 * addresses still get 0x02, before anything is dialled; a rule that names a network opens it.
 */
@Timeout(60)
class EgressGuardEndToEndTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final InetSocketAddress LISTENER = new InetSocketAddress(Loopback.IPV4, 0);
    private static final String REMOTE_CLIENT = "203.0.113.7";

    private static DnsStub dns;
    private static EchoServer echo;
    private RunningProxy proxy;

    @BeforeAll
    static void startTargets() throws Exception {
        dns = DnsStub.start(Map.of());
        echo = EchoServer.start(Loopback.IPV4);
    }

    @AfterAll
    static void stopTargets() throws Exception {
        Closeables.closeAll(echo, dns);
    }

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private RunningProxy start(Rule... rules) throws Exception {
        ProxyPolicy policy = new ProxyPolicy(new AccessRules(List.of(rules)), UserDirectory.empty(), false);
        proxy = RunningProxy.start(dns.address(), b -> b.policy(policy).workerThreads(2)
                .proxyProtocol(LISTENER, ProxyProtocolSettings.of(ProxyProtocolMode.REQUIRED,
                        List.of(Cidr.parse("127.0.0.1/32")))));
        return proxy;
    }

    private int connectAsRemoteClient(InetSocketAddress target) throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(ProxyHeaders.header(HAProxyProtocolVersion.V2, REMOTE_CLIENT));
            return client.socks5Connect(SocksRequests.socks5Connect(target)).rep();
        }
    }

    @Test
    void aRuleWithClientsLetsTheRemoteClientOutButNotOntoTheHostOrTheMetadataService() throws Exception {
        start(Rule.builder("rules[0]", Action.ALLOW).clients(Cidr.parse("203.0.113.0/24")).build());
        try (LogCapture log = LogCapture.of("dev.ferryproxy")) {
            assertThat(connectAsRemoteClient(new InetSocketAddress(Loopback.IPV4, echo.port())))
                    .as("a port on the proxy's loopback").isEqualTo(0x02);
            for (String metadata : List.of("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16")) {
                assertThat(connectAsRemoteClient(new InetSocketAddress(InetAddress.getByName(metadata), 80)))
                        .as(metadata).isEqualTo(0x02);
            }
            for (InetAddress own : HostAddresses.ofThisHost()) {
                if (!own.isLoopbackAddress() && !own.isLinkLocalAddress()) {
                    assertThat(connectAsRemoteClient(new InetSocketAddress(own, 9090)))
                            .as("this host's own address %s", own.getHostAddress()).isEqualTo(0x02);
                }
            }
            log.awaitMessage("the guard named as the reason", m -> m.contains("denied by " + EgressGuard.NAME),
                    TIMEOUT);
        }
        // the host's addresses the guard holds are the server's, as they were when it started
        assertThat(proxy.server().policy().rules().guard().hostAddresses()).extracting(Cidr::toString)
                .containsAll(HostAddresses.ofThisHost().stream()
                        .filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                        .map(a -> Cidr.of(a, a.getAddress().length * 8).toString()).toList());
    }

    @Test
    void aRuleThatNamesTheNetworkOpensIt() throws Exception {
        start(Rule.builder("rules[0]", Action.ALLOW).clients(Cidr.parse("203.0.113.0/24"))
                .destinationNetworks(Cidr.parse("127.0.0.1/32")).build());
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(ProxyHeaders.header(HAProxyProtocolVersion.V2, REMOTE_CLIENT));
            assertThat(client.socks5Connect(SocksRequests.socks5Connect(
                    new InetSocketAddress(Loopback.IPV4, echo.port()))).rep()).isZero();
            Socks5Login.assertEchoes(client, "named, so open".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
    }
}
