package dev.ferryproxy.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.transport.Transport;
import dev.ferryproxy.transport.TransportKind;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DanteServer;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RunningProxy;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Chains built on the client side: connect to proxy A, ask it to CONNECT to proxy B, run B's
 * handshake through that tunnel to the target. Ferry to Ferry with every pairing of versions,
 * Ferry to Dante, three hops, a failure in the second hop reported as the second hop's, and the
 * low-level {@link SocksClientHandshake} on a channel the test opened itself.
 */
@Timeout(60)
class ChainingEndToEndTest {
    private static final String ECHO_NAME = "echo.chain.test";

    private static DnsStub dns;
    private static EchoServer echo;
    private static RunningProxy ferryA;
    private static RunningProxy ferryB;
    private static DanteServer dante;

    @BeforeAll
    static void start() throws Exception {
        echo = EchoServer.start(Loopback.IPV4);
        dns = DnsStub.start(Map.of(ECHO_NAME, List.of(Loopback.IPV4)));
        ferryA = RunningProxy.start(dns.address());
        ferryB = RunningProxy.start(dns.address());
        dante = DanteServer.start();
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(dante, ferryB, ferryA, dns, echo);
    }

    private static String uri(String scheme, RunningProxy proxy) {
        return scheme + "://" + proxy.hostAndPort();
    }

    @Test
    void ferryToFerryByNameAtTheLastHop() throws Exception {
        try (SocksClient client = SocksClient.builder().proxy(uri("socks5h", ferryA)).proxy(uri("socks5h", ferryB))
                .build()) {
            Tunnels.echoThroughStreams(client, SocksTarget.of(ECHO_NAME, echo.port()), 11, Tunnels.TRANSFER_BYTES);
        }
    }

    @Test
    void ferryToFerryMixingVersions() throws Exception {
        String[][] pairs = {{"socks4", "socks5"}, {"socks4a", "socks4a"}, {"socks5", "socks4"}};
        for (String[] pair : pairs) {
            try (SocksClient client = SocksClient.builder().proxy(uri(pair[0], ferryA)).proxy(uri(pair[1], ferryB))
                    .dnsServers(List.of(dns.address())).build()) {
                Tunnels.echoThroughStreams(client, SocksTarget.of(ECHO_NAME, echo.port()), pair.hashCode(), 512 * 1024);
            }
        }
    }

    @Test
    void ferryToDanteWithTheSecondHopNamedAndResolvedHere() throws Exception {
        // Hop 0 is socks5 (names resolved here): "localhost", Dante's host, is resolved by the client.
        List<String> resolved = new CopyOnWriteArrayList<>();
        HandshakeObserver observer = new HandshakeObserver() {
            @Override
            public void resolved(String host, java.net.InetAddress address, long nanoTime) {
                resolved.add(host + "=" + address.getHostAddress());
            }
        };
        try (SocksClient client = SocksClient.builder().proxy(uri("socks5", ferryA))
                .proxy("socks5://localhost:" + dante.address().getPort()).observer(observer).build()) {
            Tunnels.echoThroughChannel(client, SocksTarget.of("127.0.0.1", echo.port()), 12, Tunnels.TRANSFER_BYTES);
        }
        assertThat(resolved).containsExactly("localhost=127.0.0.1");
    }

    @Test
    void threeHopsFerryFerryDante() throws Exception {
        try (SocksClient client = SocksClient.builder().proxy(uri("socks4a", ferryA)).proxy(uri("socks5h", ferryB))
                .proxy("socks4://" + dante.hostAndPort()).build()) {
            Tunnels.echoThroughStreams(client, SocksTarget.of("127.0.0.1", echo.port()), 13, Tunnels.TRANSFER_BYTES);
        }
    }

    @Test
    void failureAtTheSecondHopNamesTheSecondHop() throws Exception {
        InetSocketAddress closed = Loopback.closedPort(Loopback.IPV4);
        try (SocksClient client = SocksClient.builder().proxy(uri("socks5h", ferryA))
                .proxy("socks5://" + dante.hostAndPort()).build()) {
            SocksReplyException failure = (SocksReplyException) Tunnels.failureOf(client.connect(SocksTarget.of(closed)));
            assertThat(failure.replyCode()).isEqualTo(5);
            assertThat(failure.proxy()).isEqualTo(client.proxies().get(1));
            assertThat(failure).hasMessageStartingWith("socks5://" + dante.hostAndPort());
        }
    }

    @Test
    void unreachableSecondHopIsTheFirstHopsReply() throws Exception {
        InetSocketAddress closed = Loopback.closedPort(Loopback.IPV4);
        try (SocksClient client = SocksClient.builder().proxy(uri("socks5h", ferryA))
                .proxy("socks5h://127.0.0.1:" + closed.getPort()).build()) {
            SocksReplyException failure = (SocksReplyException) Tunnels.failureOf(
                    client.connect(SocksTarget.of(ECHO_NAME, echo.port())));
            assertThat(failure.replyCode()).isEqualTo(5);
            assertThat(failure.proxy()).isEqualTo(client.proxies().get(0));
        }
    }

    /** The primitive the server-side chaining uses: a channel of the caller's, on the caller's loop. */
    @Test
    void lowLevelHandshakeOnTheCallersChannel() throws Exception {
        Transport transport = Transport.select(TransportKind.AUTO);
        EventLoopGroup group = transport.newEventLoopGroup(1);
        try {
            Channel channel = new Bootstrap().group(group).channel(transport.socketChannelType())
                    .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(ferryA.address()).sync().channel();
            String callersHandler = channel.pipeline().names().get(0);
            Future<SocksReply> reply = SocksClientHandshake.connect(channel,
                    List.of(ProxyUri.parse(uri("socks5h", ferryA)), ProxyUri.parse("socks5h://" + dante.hostAndPort())),
                    SocksTarget.of("127.0.0.1", echo.port()), null, Duration.ofSeconds(5), null);
            SocksReply answer = Tunnels.await(reply);
            assertThat(answer.protocol()).isEqualTo(SocksProtocol.SOCKS5H);
            assertThat(answer.bound().getAddress()).isEqualTo(Loopback.IPV4);
            assertThat(channel.config().isAutoRead()).isFalse();
            assertThat(channel.pipeline().names()).startsWith(SocksClientHandshake.HOLD_NAME, callersHandler);
            channel.pipeline().remove(callersHandler);
            Tunnels.DigestingHandler digesting = new Tunnels.DigestingHandler();
            channel.pipeline().addLast(digesting);
            channel.config().setAutoRead(true);
            byte[] payload = dev.ferryproxy.testing.SeededBytes.generate(14, 200_000);
            channel.writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(payload))
                    .addListener(f -> ((io.netty.channel.socket.DuplexChannel) channel).shutdownOutput());
            assertThat(digesting.result.get(20, TimeUnit.SECONDS).sha256())
                    .isEqualTo(dev.ferryproxy.testing.SeededBytes.sha256Hex(payload));
            channel.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void borrowedEventLoopGroupStaysRunningAfterClose() throws Exception {
        Transport transport = Transport.select(TransportKind.NIO);
        EventLoopGroup group = transport.newEventLoopGroup(1);
        try {
            SocksClient client = SocksClient.builder().proxy(uri("socks5h", ferryA)).eventLoopGroup(group).build();
            assertThat(client.transport().name()).isEqualTo("nio");
            Tunnels.echoThroughStreams(client, SocksTarget.of(ECHO_NAME, echo.port()), 15, 128 * 1024);
            client.close();
            assertThat(group.isShuttingDown()).isFalse();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
