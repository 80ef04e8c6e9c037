package dev.ferryproxy.e2e;

import static dev.ferryproxy.testing.SocksRequests.concat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferryproxy.bind.BindSettings;
import dev.ferryproxy.transport.TransportKind;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * BIND served end to end, SOCKS4 and SOCKS5, on NIO and epoll: the first reply names where the
 * proxy listens (the address the client connected to, or the advertised one), a real peer
 * connects there, the second reply names that peer, and a few hundred KiB go each way with
 * half-close. Also: the expected peer named by a name (SOCKS5 domain, SOCKS4a), bytes the client
 * sends behind its request, and bytes plus end of stream the peer sends before the second reply.
 */
@Timeout(60)
class BindEndToEndTest {
    private static final String PEER_NAME = "peer.bind.test";
    private static final int UP_BYTES = 300 * 1024;
    private static final int DOWN_BYTES = 400 * 1024;

    private static DnsStub dns;
    private static RunningProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of(PEER_NAME, List.of(Loopback.IPV4)));
        proxy = RunningProxy.start(dns.address(), b -> b.bind(BindSettings.DEFAULT.withEnabled(true)));
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(proxy, dns);
    }

    private static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(Loopback.IPV4, port);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TransportKind.class, names = {"NIO", "EPOLL", "IO_URING"})
    void socks5BindCarriesDataBothWaysWithHalfClose(TransportKind transport) throws Exception {
        Transports.assumeAvailable(transport);
        try (RunningProxy server = RunningProxy.start(dns.address(),
                        b -> b.transport(transport).bind(BindSettings.DEFAULT.withEnabled(true)));
                RawSocksClient client = RawSocksClient.connect(server.address())) {
            InetSocketAddress listening = RawBind.socks5Listening(client,
                    SocksRequests.socks5Request(SocksRequests.SOCKS5_BIND, loopback(0)));
            assertThat(listening.getAddress()).as("the address the client connected to").isEqualTo(Loopback.IPV4);
            try (Socket peer = RawBind.connectFrom(Loopback.IPV4, listening)) {
                Socks5Reply second = client.readSocks5Reply();
                assertThat(second.rep()).isZero();
                assertThat(second.bnd()).isEqualTo(peer.getLocalSocketAddress());
                RawBind.exchangeWithHalfClose(client, peer, UP_BYTES, DOWN_BYTES);
            }
        }
    }

    @Test
    void socks4BindCarriesDataBothWaysWithHalfClose() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            InetSocketAddress listening = RawBind.socks4Listening(client,
                    SocksRequests.socks4Request(SocksRequests.SOCKS4_BIND, loopback(21), "ftp"));
            assertThat(listening.getAddress()).isEqualTo(Loopback.IPV4);
            try (Socket peer = RawBind.connectFrom(Loopback.IPV4, listening)) {
                Socks4Reply second = client.readSocks4Reply();
                assertThat(second.version()).isZero();
                assertThat(second.status()).isEqualTo(90);
                assertThat(second.bnd()).isEqualTo(peer.getLocalSocketAddress());
                RawBind.exchangeWithHalfClose(client, peer, UP_BYTES, DOWN_BYTES);
            }
        }
    }

    /** The request's port is informational: the peer connects from whatever port it gets. */
    @Test
    void peerIsAcceptedFromAnyPortWhateverTheRequestSays() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            InetSocketAddress listening = RawBind.socks5Listening(client,
                    SocksRequests.socks5Request(SocksRequests.SOCKS5_BIND, loopback(65535)));
            try (Socket peer = RawBind.connectFrom(Loopback.IPV4, listening)) {
                assertThat(client.readSocks5Reply().rep()).isZero();
                RawBind.exchangeWithHalfClose(client, peer, 10, 20);
            }
        }
    }

    @Test
    void socks5BindForANameExpectsThePeerAtItsAddress() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            InetSocketAddress listening = RawBind.socks5Listening(client,
                    SocksRequests.socks5Request(SocksRequests.SOCKS5_BIND, PEER_NAME, 0));
            try (Socket peer = RawBind.connectFrom(Loopback.IPV4, listening)) {
                Socks5Reply second = client.readSocks5Reply();
                assertThat(second.rep()).isZero();
                assertThat(second.bnd()).isEqualTo(peer.getLocalSocketAddress());
                RawBind.exchangeWithHalfClose(client, peer, 1000, 2000);
            }
        }
        assertThat(dns.wasAskedAbout(PEER_NAME)).isTrue();
    }

    @Test
    void socks4aBindForANameExpectsThePeerAtItsAddress() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            InetSocketAddress listening = RawBind.socks4Listening(client,
                    SocksRequests.socks4aRequest(SocksRequests.SOCKS4_BIND, PEER_NAME, 0, ""));
            try (Socket peer = RawBind.connectFrom(Loopback.IPV4, listening)) {
                Socks4Reply second = client.readSocks4Reply();
                assertThat(second.status()).isEqualTo(90);
                assertThat(second.bnd()).isEqualTo(peer.getLocalSocketAddress());
                RawBind.exchangeWithHalfClose(client, peer, 1000, 2000);
            }
        }
    }

    @Test
    void unspecifiedAddressAcceptsAnyPeer() throws Exception {
        InetAddress second = Loopback.ipv4(127, 0, 0, 2);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            InetSocketAddress listening = RawBind.socks5Listening(client,
                    SocksRequests.socks5Request(SocksRequests.SOCKS5_BIND, new InetSocketAddress(Loopback.ipv4(0, 0, 0, 0), 0)));
            try (Socket peer = RawBind.connectFrom(second, listening)) {
                Socks5Reply reply = client.readSocks5Reply();
                assertThat(reply.rep()).isZero();
                assertThat(reply.bnd().getAddress()).isEqualTo(second);
                RawBind.exchangeWithHalfClose(client, peer, 10, 10);
            }
        }
    }

    /** Bytes pipelined behind the request wait in the decoder and reach the peer first. */
    @Test
    void bytesSentBehindTheRequestReachThePeer() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.greetNoAuth();
            client.send(concat(SocksRequests.socks5Request(SocksRequests.SOCKS5_BIND, loopback(0)),
                    "early words".getBytes(StandardCharsets.US_ASCII)));
            InetSocketAddress listening = client.readSocks5Reply().bnd();
            try (Socket peer = RawBind.connectFrom(Loopback.IPV4, listening)) {
                assertThat(client.readSocks5Reply().rep()).isZero();
                InputStream in = peer.getInputStream();
                assertThat(new String(in.readNBytes(11), StandardCharsets.US_ASCII)).isEqualTo("early words");
            }
        }
    }

    /** A peer that speaks first and hangs up at once loses nothing: the client gets its bytes and its end. */
    @Test
    void peerThatSendsAndClosesBeforeTheSecondReplyLosesNothing() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            InetSocketAddress listening = RawBind.socks5Listening(client,
                    SocksRequests.socks5Request(SocksRequests.SOCKS5_BIND, loopback(0)));
            try (Socket peer = RawBind.connectFrom(Loopback.IPV4, listening)) {
                peer.getOutputStream().write("220 banner\r\n".getBytes(StandardCharsets.US_ASCII));
                peer.shutdownOutput();
                assertThat(client.readSocks5Reply().rep()).isZero();
                assertThat(new String(client.readUntilEof(), StandardCharsets.US_ASCII)).isEqualTo("220 banner\r\n");
            }
        }
    }

    @Test
    void firstReplyCarriesTheAdvertisedAddressWithTheListenersPort() throws Exception {
        InetAddress advertised = Loopback.ipv4(127, 0, 0, 9);
        try (RunningProxy server = RunningProxy.start(dns.address(),
                        b -> b.advertisedAddress(advertised).bind(BindSettings.DEFAULT.withEnabled(true)));
                RawSocksClient client = RawSocksClient.connect(server.address())) {
            InetSocketAddress listening = RawBind.socks5Listening(client,
                    SocksRequests.socks5Request(SocksRequests.SOCKS5_BIND, loopback(0)));
            assertThat(listening.getAddress()).isEqualTo(advertised);
            // The listener itself is on the address the client connected to, at the same port.
            try (Socket peer = RawBind.connectFrom(Loopback.IPV4, loopback(listening.getPort()))) {
                assertThat(client.readSocks5Reply().bnd()).isEqualTo(peer.getLocalSocketAddress());
            }
        }
    }

    /** Over IPv6 the listener is on ::1; SOCKS4, which cannot carry it, answers 0.0.0.0 ("the proxy's own address"). */
    @Test
    void overIpv6TheListenerIsOnTheClientsAddress() throws Exception {
        assumeTrue(Loopback.canBind(Loopback.IPV6), "IPv6 loopback unavailable");
        try (RunningProxy server = RunningProxy.start(dns.address(), b -> b.listen(new InetSocketAddress(Loopback.IPV6, 0))
                .bind(BindSettings.DEFAULT.withEnabled(true)))) {
            InetSocketAddress proxy6 = server.server().boundAddresses().get(1);
            try (RawSocksClient client = RawSocksClient.connect(proxy6)) {
                InetSocketAddress listening = RawBind.socks5Listening(client, SocksRequests.socks5Request(
                        SocksRequests.SOCKS5_BIND, new InetSocketAddress(Loopback.IPV6, 0)));
                assertThat(listening.getAddress()).isEqualTo(Loopback.IPV6);
                try (Socket peer = RawBind.connectFrom(Loopback.IPV6, listening)) {
                    assertThat(client.readSocks5Reply().bnd()).isEqualTo(peer.getLocalSocketAddress());
                    RawBind.exchangeWithHalfClose(client, peer, 100, 100);
                }
            }
            try (RawSocksClient client = RawSocksClient.connect(proxy6)) {
                InetSocketAddress listening = RawBind.socks4Listening(client, SocksRequests.socks4Request(
                        SocksRequests.SOCKS4_BIND, new InetSocketAddress(Loopback.ipv4(0, 0, 0, 0), 0), ""));
                assertThat(listening.getAddress()).isEqualTo(Loopback.ipv4(0, 0, 0, 0));
                try (Socket peer = RawBind.connectFrom(Loopback.IPV6, new InetSocketAddress(Loopback.IPV6,
                        listening.getPort()))) {
                    Socks4Reply second = client.readSocks4Reply();
                    assertThat(second.status()).isEqualTo(90);
                    // An IPv6 peer goes out as 0.0.0.0 with its port.
                    assertThat(second.bnd()).isEqualTo(new InetSocketAddress(Loopback.ipv4(0, 0, 0, 0), peer.getLocalPort()));
                }
            }
        }
    }
}
