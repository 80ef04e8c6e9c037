package dev.ferryproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RawSocksClient.Socks4Reply;
import dev.ferryproxy.testing.RawSocksClient.Socks5Reply;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SocksRequests;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A name with several addresses, the first of which refuses: the proxy falls through to the next
 * one. The success reply's BND is the proxy's outbound socket, exactly as the target sees it.
 */
@Timeout(60)
class MultiAddressEndToEndTest {
    private static final String NAME = "multi.ferry.test";
    private static final InetAddress LISTENING = Loopback.ipv4(127, 0, 0, 2);
    private static final InetAddress REFUSING = Loopback.ipv4(127, 0, 0, 3);
    private static final InetAddress ALSO_REFUSING = Loopback.ipv4(127, 0, 0, 4);
    private static final String ALL_REFUSING_NAME = "refusing.ferry.test";

    private static DnsStub dns;
    private static EchoServer echo;
    private static RunningProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Loopback.canBind(LISTENING), "127.0.0.2 cannot be bound here");
        echo = EchoServer.start(LISTENING);
        dns = DnsStub.start(Map.of(
                NAME, List.of(REFUSING, LISTENING),
                ALL_REFUSING_NAME, List.of(REFUSING, ALSO_REFUSING)));
        proxy = RunningProxy.start(dns.address());
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(proxy, dns, echo);
    }

    @Test
    void firstAddressReallyRefuses() {
        assertThatThrownBy(() -> {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress(REFUSING, echo.port()), 2_000);
            }
        }).isInstanceOf(ConnectException.class);
    }

    @Test
    void socks5ConnectsToSecondAddressAndRepliesWithOutboundAddress() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            Socks5Reply reply = client.socks5Connect(SocksRequests.socks5Connect(NAME, echo.port()));

            assertThat(reply.version()).isEqualTo(5);
            assertThat(reply.rep()).isZero();
            assertThat(reply.atyp()).isEqualTo(0x01);
            InetSocketAddress seenByTarget = echo.awaitPeer(Duration.ofSeconds(5));
            assertThat(reply.bnd()).isEqualTo(seenByTarget);
            assertEchoes(client);
        }
        assertThat(dns.questions()).contains("A " + NAME);
    }

    @Test
    void socks4aConnectsToSecondAddressAndRepliesWithOutboundAddress() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(SocksRequests.socks4aConnect(NAME, echo.port(), "ferry"));
            Socks4Reply reply = client.readSocks4Reply();

            assertThat(reply.version()).isZero();
            assertThat(reply.status()).isEqualTo(90);
            InetSocketAddress seenByTarget = echo.awaitPeer(Duration.ofSeconds(5));
            assertThat(reply.bnd()).isEqualTo(seenByTarget);
            assertEchoes(client);
        }
    }

    @Test
    void socks5ReportsConnectionRefusedWhenEveryAddressRefuses() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            Socks5Reply reply = client.socks5Connect(SocksRequests.socks5Connect(ALL_REFUSING_NAME, echo.port()));

            assertThat(reply.rep()).isEqualTo(0x05);
            assertThat(client.readUntilEof()).isEmpty();
        }
    }

    private static void assertEchoes(RawSocksClient client) throws Exception {
        client.send("via the second address");
        assertThat(client.readText("via the second address".length())).isEqualTo("via the second address");
        client.shutdownOutput();
        assertThat(client.readUntilEof()).isEmpty();
    }
}
