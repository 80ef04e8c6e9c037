package dev.ferryproxy.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferryproxy.bind.BindSettings;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RunningProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The client's BIND against Ferry's, in-process: both replies, a real peer and data both ways
 * over SOCKS4 and SOCKS5, with the expected peer named by address or by a name Ferry resolves
 * (SOCKS4a, SOCKS5h); the wrong peer and the accept timeout surface as typed reply failures.
 */
@Timeout(60)
class FerryBindClientEndToEndTest {
    /** Known to the DNS stub that Ferry asks: 127.0.0.1. */
    private static final String PEER_NAME = "peer.client.test";
    private static final Duration ACCEPT_TIMEOUT = Duration.ofMillis(300);

    private static DnsStub dns;
    private static RunningProxy ferry;
    private static RunningProxy shortWait;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of(PEER_NAME, List.of(Loopback.IPV4)));
        ferry = RunningProxy.start(dns.address(), b -> b.bind(BindSettings.DEFAULT.withEnabled(true)));
        shortWait = RunningProxy.start(dns.address(),
                b -> b.bind(BindSettings.DEFAULT.withEnabled(true).withAcceptTimeout(ACCEPT_TIMEOUT)));
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(shortWait, ferry, dns);
    }

    private static SocksClient client(SocksProtocol protocol, RunningProxy proxy) {
        return SocksClient.builder()
                .proxy(ProxyUri.of(protocol, "127.0.0.1", proxy.address().getPort()))
                .dnsServers(List.of(dns.address()))
                .build();
    }

    @ParameterizedTest(name = "{0} expecting {1}")
    @CsvSource({"SOCKS4, 127.0.0.1", "SOCKS5, 127.0.0.1", "SOCKS4A, " + PEER_NAME, "SOCKS5H, " + PEER_NAME})
    void bindGetsBothRepliesAndCarriesDataBothWays(SocksProtocol protocol, String expectedPeer) throws Exception {
        try (SocksClient client = client(protocol, ferry)) {
            Tunnels.bindAndExchange(client, SocksTarget.of(expectedPeer, 0), 256 * 1024);
        }
    }

    @ParameterizedTest
    @EnumSource(value = SocksProtocol.class, names = {"SOCKS4", "SOCKS5"})
    void wrongPeerFailsTheSecondReply(SocksProtocol protocol) throws Exception {
        InetAddress stranger = Loopback.ipv4(127, 0, 0, 2);
        assumeTrue(Loopback.canBind(stranger), "127.0.0.2 unavailable");
        try (SocksClient client = client(protocol, ferry)) {
            SocksBind bind = Tunnels.await(client.bind(SocksTarget.of("127.0.0.1", 0)));
            try (Socket peer = new Socket()) {
                peer.bind(new InetSocketAddress(stranger, 0));
                peer.connect(bind.listenAddress(), 5000);
                SocksReplyException failure = (SocksReplyException) Tunnels.failureOf(bind.incoming());
                assertThat(failure.replyCode()).isEqualTo(protocol == SocksProtocol.SOCKS5 ? 2 : 91);
            } finally {
                bind.close();
            }
        }
    }

    @Test
    void noPeerInTimeIsTtlExpired() throws Exception {
        try (SocksClient client = client(SocksProtocol.SOCKS5, shortWait)) {
            SocksBind bind = Tunnels.await(client.bind(SocksTarget.of("127.0.0.1", 0)));
            try {
                SocksReplyException failure = (SocksReplyException) Tunnels.failureOf(bind.incoming());
                assertThat(failure.replyCode()).isEqualTo(6);
                assertThat(failure.meaning()).isEqualTo("TTL expired");
            } finally {
                bind.close();
            }
        }
    }
}
