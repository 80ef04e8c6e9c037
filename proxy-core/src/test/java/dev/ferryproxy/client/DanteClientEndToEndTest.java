package dev.ferryproxy.client;

import static dev.ferryproxy.client.Tunnels.TRANSFER_BYTES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DanteServer;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.SeededBytes;
import dev.ferryproxy.testing.UdpEchoServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The client against Dante (danted from Debian's dante-server), an independent implementation:
 * CONNECT over SOCKS4 and SOCKS5 to IPv4, IPv6 and named targets with checked transfers; SOCKS4a
 * (which Dante refuses for names, answering 91); failure replies; BIND with both replies, a real
 * incoming connection and data both ways; UDP ASSOCIATE with datagrams echoed through the relay.
 */
@Timeout(60)
class DanteClientEndToEndTest {
    private static DanteServer dante;
    private static EchoServer echo;
    private static EchoServer echo6;

    @BeforeAll
    static void start() throws Exception {
        dante = DanteServer.start();
        echo = EchoServer.start(Loopback.IPV4);
        if (Loopback.canBind(Loopback.IPV6)) {
            // The same port on ::1, so that "localhost" works whichever address Dante's resolver gives first.
            try {
                echo6 = EchoServer.start(new InetSocketAddress(Loopback.IPV6, echo.port()));
            } catch (java.io.IOException e) {
                echo6 = null;
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(echo6, echo, dante);
    }

    private static SocksClient client(SocksProtocol protocol) {
        return SocksClient.builder().proxy(ProxyUri.of(protocol, "127.0.0.1", dante.address().getPort())).build();
    }

    static Stream<Arguments> connectCases() {
        return Stream.of(
                Arguments.of(SocksProtocol.SOCKS4, "127.0.0.1"),
                Arguments.of(SocksProtocol.SOCKS4, "localhost"), // resolved here
                Arguments.of(SocksProtocol.SOCKS4A, "127.0.0.1"), // an address goes as plain SOCKS4
                Arguments.of(SocksProtocol.SOCKS5, "127.0.0.1"),
                Arguments.of(SocksProtocol.SOCKS5, "localhost"),
                Arguments.of(SocksProtocol.SOCKS5H, "localhost"), // resolved by Dante
                Arguments.of(SocksProtocol.SOCKS5, "::1"),
                Arguments.of(SocksProtocol.SOCKS5H, "::1"));
    }

    @ParameterizedTest(name = "{0} to {1}")
    @MethodSource("connectCases")
    void connectCarriesAFewMebibytesBothWays(SocksProtocol protocol, String host) throws Exception {
        if (host.equals("::1") || host.equals("localhost")) {
            assumeTrue(echo6 != null || host.equals("localhost"), "IPv6 loopback unavailable");
        }
        try (SocksClient client = client(protocol)) {
            Tunnels.echoThroughStreams(client, SocksTarget.of(host, echo.port()), 4 + host.length(), TRANSFER_BYTES);
        }
    }

    @ParameterizedTest
    @EnumSource(value = SocksProtocol.class, names = {"SOCKS4", "SOCKS5"})
    void channelApiCarriesAFewMebibytesBothWays(SocksProtocol protocol) throws Exception {
        try (SocksClient client = client(protocol)) {
            Tunnels.echoThroughChannel(client, SocksTarget.of(echo.address()), 99, TRANSFER_BYTES);
        }
    }

    @Test
    void socks4aWithANameIsRefusedByDanteWith91() throws Exception {
        try (SocksClient client = client(SocksProtocol.SOCKS4A)) {
            Throwable failure = Tunnels.failureOf(client.connect(SocksTarget.of("localhost", echo.port())));
            assertThat(failure).isInstanceOf(SocksReplyException.class);
            assertThat(((SocksReplyException) failure).replyCode()).isEqualTo(91);
        }
    }

    @ParameterizedTest
    @EnumSource(value = SocksProtocol.class, names = {"SOCKS4", "SOCKS5"})
    void refusedTargetIsMappedWithItsMeaning(SocksProtocol protocol) throws Exception {
        InetSocketAddress closed = Loopback.closedPort(Loopback.IPV4);
        try (SocksClient client = client(protocol)) {
            SocksReplyException failure = (SocksReplyException) Tunnels.failureOf(
                    client.connect(SocksTarget.of(closed)));
            if (protocol == SocksProtocol.SOCKS5) {
                assertThat(failure.replyCode()).isEqualTo(5);
                assertThat(failure.meaning()).isEqualTo("connection refused");
            } else {
                assertThat(failure.replyCode()).isEqualTo(91);
                assertThat(failure.meaning()).isEqualTo("request rejected or failed");
            }
        }
    }

    /**
     * BIND: the first reply names where Dante listens; a peer connects there from 127.0.0.1; the
     * second reply names the peer; then data flows both ways, checked by SHA-256.
     */
    @ParameterizedTest
    @EnumSource(value = SocksProtocol.class, names = {"SOCKS4", "SOCKS5"})
    void bindGetsBothRepliesAndCarriesDataBothWays(SocksProtocol protocol) throws Exception {
        try (SocksClient client = client(protocol)) {
            Tunnels.bindAndExchange(client, SocksTarget.of("127.0.0.1", 0), 512 * 1024);
        }
    }

    @Test
    void udpAssociateCarriesDatagramsToATargetAndBack() throws Exception {
        try (UdpEchoServer udpEcho = UdpEchoServer.start(Loopback.IPV4); SocksClient client = client(SocksProtocol.SOCKS5)) {
            SocksUdpAssociation association = Tunnels.await(client.udpAssociate());
            try {
                assertThat(association.reply().isSuccess()).isTrue();
                assertThat(association.relayAddress().getAddress()).isEqualTo(Loopback.IPV4);
                BlockingQueue<Object[]> received = new LinkedBlockingQueue<>();
                association.setReceiver((source, data) -> {
                    try {
                        received.add(new Object[] {source, ByteBufUtil.getBytes(data)});
                    } finally {
                        data.release();
                    }
                });
                for (int i = 0; i < 20; i++) {
                    byte[] payload = SeededBytes.generate(i, 100 + i * 61);
                    byte[] echoed = roundTrip(association, udpEcho, payload, received);
                    assertThat(echoed).as("datagram %d", i).isEqualTo(payload);
                }
                assertThat(udpEcho.pollSender(0)).as("the target saw Dante's relay, not the client")
                        .isNotEqualTo(association.localAddress());
            } finally {
                association.close();
            }
            assertThat(association.closeFuture().await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(association.isOpen()).isFalse();
        }
    }

    /** Sends one datagram and waits for its echo, sending again if it was lost (UDP promises nothing). */
    private static byte[] roundTrip(SocksUdpAssociation association, UdpEchoServer target, byte[] payload,
            BlockingQueue<Object[]> received) throws Exception {
        for (int attempt = 0; attempt < 5; attempt++) {
            ByteBuf data = Unpooled.copiedBuffer(payload);
            Tunnels.await(association.send(SocksTarget.of(target.address()), data));
            Object[] answer = received.poll(2, TimeUnit.SECONDS);
            while (answer != null) {
                assertThat(answer[0]).as("source of the echo").isEqualTo(target.address());
                if (Arrays.equals((byte[]) answer[1], payload)) {
                    return (byte[]) answer[1];
                }
                answer = received.poll(2, TimeUnit.SECONDS); // an echo of an earlier attempt
            }
        }
        throw new AssertionError("no echo of a " + payload.length + "-byte datagram through " + association.relayAddress());
    }

    @Test
    void udpAssociateIsRefusedOverSocks4BeforeAnythingIsSent() {
        try (SocksClient client = client(SocksProtocol.SOCKS4)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(client::udpAssociate)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("UDP ASSOCIATE needs SOCKS5");
        }
    }
}
