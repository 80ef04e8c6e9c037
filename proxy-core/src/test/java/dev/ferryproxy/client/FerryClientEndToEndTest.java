package dev.ferryproxy.client;

import static dev.ferryproxy.client.Tunnels.TRANSFER_BYTES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.TcpTarget;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The client against Ferry in-process: CONNECT with every protocol (SOCKS4, SOCKS4a, SOCKS5,
 * SOCKS5h) to IPv4, IPv6 and named targets, a few MiB each way checked by SHA-256, through both
 * APIs; names resolved here (through the DNS stub) or at the proxy; failure replies mapped to
 * typed exceptions; bytes the target sends right after the reply.
 */
@Timeout(60)
class FerryClientEndToEndTest {
    /** Known to the DNS stub that both Ferry and the client ask: 127.0.0.1 only. */
    private static final String ECHO_NAME = "echo.client.test";
    /** Known to the stub with an IPv6 address only. */
    private static final String ECHO6_NAME = "echo6.client.test";

    private static DnsStub dns;
    private static EchoServer echo;
    private static EchoServer echo6;
    private static RunningProxy ferry;

    @BeforeAll
    static void start() throws Exception {
        echo = EchoServer.start(Loopback.IPV4);
        if (Loopback.canBind(Loopback.IPV6)) {
            echo6 = EchoServer.start(Loopback.IPV6);
        }
        dns = DnsStub.start(Map.of(ECHO_NAME, List.of(Loopback.IPV4), ECHO6_NAME, List.of(Loopback.IPV6)));
        ferry = RunningProxy.start(dns.address());
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(ferry, dns, echo6, echo);
    }

    private static SocksClient client(SocksProtocol protocol) {
        return SocksClient.builder()
                .proxy(ProxyUri.of(protocol, "127.0.0.1", ferry.address().getPort()))
                .dnsServers(List.of(dns.address()))
                .build();
    }

    static Stream<Arguments> targets() {
        List<Arguments> cases = new ArrayList<>();
        // SOCKS4: IPv4 only; a name is resolved here.
        cases.add(Arguments.of(SocksProtocol.SOCKS4, "127.0.0.1"));
        cases.add(Arguments.of(SocksProtocol.SOCKS4, ECHO_NAME));
        // SOCKS4a: the name goes to Ferry; an address is sent as in SOCKS4.
        cases.add(Arguments.of(SocksProtocol.SOCKS4A, ECHO_NAME));
        cases.add(Arguments.of(SocksProtocol.SOCKS4A, "127.0.0.1"));
        cases.add(Arguments.of(SocksProtocol.SOCKS5, "127.0.0.1"));
        cases.add(Arguments.of(SocksProtocol.SOCKS5, ECHO_NAME));
        cases.add(Arguments.of(SocksProtocol.SOCKS5H, ECHO_NAME));
        cases.add(Arguments.of(SocksProtocol.SOCKS5H, "127.0.0.1"));
        cases.add(Arguments.of(SocksProtocol.SOCKS5, "::1"));
        cases.add(Arguments.of(SocksProtocol.SOCKS5H, "::1"));
        cases.add(Arguments.of(SocksProtocol.SOCKS5, ECHO6_NAME));
        cases.add(Arguments.of(SocksProtocol.SOCKS5H, ECHO6_NAME));
        return cases.stream();
    }

    private static SocksTarget echoTarget(String host) {
        boolean ipv6 = host.contains(":") || host.equals(ECHO6_NAME);
        if (ipv6) {
            assumeTrue(echo6 != null, "IPv6 loopback unavailable");
            return SocksTarget.of(host, echo6.port());
        }
        return SocksTarget.of(host, echo.port());
    }

    @ParameterizedTest(name = "{0} to {1}")
    @MethodSource("targets")
    void streamsCarryAFewMebibytesBothWays(SocksProtocol protocol, String host) throws Exception {
        SocksTarget target = echoTarget(host);
        try (SocksClient client = client(protocol)) {
            Tunnels.echoThroughStreams(client, target, protocol.ordinal() * 31L + host.length(), TRANSFER_BYTES);
        }
    }

    @ParameterizedTest
    @EnumSource(SocksProtocol.class)
    void channelApiCarriesAFewMebibytesBothWays(SocksProtocol protocol) throws Exception {
        try (SocksClient client = client(protocol)) {
            Tunnels.echoThroughChannel(client, SocksTarget.of(ECHO_NAME, echo.port()), 7 + protocol.ordinal(),
                    TRANSFER_BYTES);
        }
    }

    @Test
    void nameForSocks5IsResolvedHereAndForSocks5hAtTheProxy() throws Exception {
        String localName = "local-only.client.test";
        try (DnsStub clientDns = DnsStub.start(Map.of(localName, List.of(Loopback.IPV4)));
                SocksClient local = SocksClient.builder().proxy("socks5://" + ferry.hostAndPort())
                        .dnsServers(List.of(clientDns.address())).build();
                SocksClient remote = SocksClient.builder().proxy("socks5h://" + ferry.hostAndPort())
                        .dnsServers(List.of(clientDns.address())).build()) {
            // Only the client's stub knows the name: socks5 works, socks5h gets Ferry's "host unreachable".
            Tunnels.echoThroughStreams(local, SocksTarget.of(localName, echo.port()), 5, 64 * 1024);
            assertThat(clientDns.wasAskedAbout(localName)).isTrue();
            Throwable failure = Tunnels.failureOf(remote.connect(SocksTarget.of(localName, echo.port())));
            assertThat(failure).isInstanceOf(SocksReplyException.class);
            assertThat(((SocksReplyException) failure).replyCode()).isEqualTo(4);
        }
    }

    @Test
    void replyCarriesFerrysOutboundAddressAndTheHoldLeavesAtTheFirstRead() throws Exception {
        try (TcpTarget target = TcpTarget.start(Loopback.IPV4); SocksClient client = client(SocksProtocol.SOCKS5)) {
            Channel tunnel = Tunnels.await(client.connect(SocksTarget.of(target.address())));
            try (Socket accepted = target.accept(Duration.ofSeconds(10))) {
                SocksReply reply = tunnel.attr(SocksClient.REPLY).get();
                assertThat(reply.replyCode()).isZero();
                assertThat(reply.meaning()).isEqualTo("succeeded");
                assertThat(reply.bound()).isEqualTo(accepted.getRemoteSocketAddress());
                assertThat(tunnel.config().isAutoRead()).isFalse();
                assertThat(tunnel.pipeline().names()).first().isEqualTo(SocksClientHandshake.HOLD_NAME);
                assertThat(tunnel.pipeline().names()).doesNotContain(SocksClientHandshake.DECODER_NAME,
                        SocksClientHandshake.HANDSHAKE_NAME);
                tunnel.config().setAutoRead(true);
                Awaitility.await("the hold leaves at the first read").atMost(Duration.ofSeconds(5))
                        .pollInterval(Duration.ofMillis(5))
                        .until(() -> tunnel.pipeline().get(SocksClientHandshake.HOLD_NAME) == null);
            } finally {
                tunnel.close().syncUninterruptibly();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(SocksProtocol.class)
    void refusedTargetIsASocksReplyExceptionWithTheCodeAndItsMeaning(SocksProtocol protocol) throws Exception {
        InetSocketAddress closed = Loopback.closedPort(Loopback.IPV4);
        try (SocksClient client = client(protocol)) {
            Throwable failure = Tunnels.failureOf(client.connect(SocksTarget.of(closed)));
            assertThat(failure).isInstanceOf(SocksReplyException.class);
            SocksReplyException reply = (SocksReplyException) failure;
            assertThat(reply.protocol()).isEqualTo(protocol);
            if (protocol.carriesIpv6()) {
                assertThat(reply.replyCode()).isEqualTo(5);
                assertThat(reply.meaning()).isEqualTo("connection refused");
                assertThat(reply).hasMessageContaining("0x05").hasMessageContaining("connection refused");
            } else {
                assertThat(reply.replyCode()).isEqualTo(91);
                assertThat(reply.meaning()).isEqualTo("request rejected or failed");
            }
            assertThat(reply.proxy()).isEqualTo(client.proxies().get(0));
        }
    }

    @ParameterizedTest
    @EnumSource(value = SocksProtocol.class, names = {"SOCKS5H", "SOCKS4A"})
    void invalidNameAtTheProxyIsHostUnreachable(SocksProtocol protocol) throws Exception {
        try (SocksClient client = client(protocol)) {
            Throwable failure = Tunnels.failureOf(client.connect(SocksTarget.of("nowhere.invalid", 80)));
            SocksReplyException reply = (SocksReplyException) failure;
            if (protocol == SocksProtocol.SOCKS5H) {
                assertThat(reply.replyCode()).isEqualTo(4);
                assertThat(reply.meaning()).isEqualTo("host unreachable");
            } else {
                assertThat(reply.replyCode()).isEqualTo(91);
            }
        }
    }

    @Test
    void invalidNameResolvedHereFailsWithUnknownHostAndNothingIsAsked() throws Exception {
        try (SocksClient client = client(SocksProtocol.SOCKS5)) {
            Throwable failure = Tunnels.failureOf(client.connect(SocksTarget.of("nowhere.invalid", 80)));
            assertThat(failure).isInstanceOf(UnknownHostException.class);
        }
    }

    @Test
    void socks4WithANameThatHasOnlyIpv6AddressesFailsHere() throws Exception {
        try (SocksClient client = client(SocksProtocol.SOCKS4)) {
            Throwable failure = Tunnels.failureOf(client.connect(SocksTarget.of(ECHO6_NAME, 80)));
            assertThat(failure).isInstanceOf(UnknownHostException.class).hasMessageContaining("IPv4");
        }
    }

    /**
     * The target speaks first and half-closes at once: its bytes and its end reach the client
     * right behind the reply, before the caller has added a handler, and must all reach it.
     */
    @ParameterizedTest
    @EnumSource(SocksProtocol.class)
    void bytesAndEndOfStreamRightBehindTheReplyAreKept(SocksProtocol protocol) throws Exception {
        byte[] banner = "220 banner from a target that speaks first\r\n".getBytes(StandardCharsets.US_ASCII);
        try (TcpTarget target = TcpTarget.start(Loopback.IPV4); SocksClient client = client(protocol)) {
            CompletableFuture<Void> bannerSent = new CompletableFuture<>();
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (Socket socket = target.accept(Duration.ofSeconds(10))) {
                    socket.getOutputStream().write(banner);
                    socket.shutdownOutput();
                    bannerSent.complete(null);
                    // wait for the client's end before closing, so that the close is a FIN, not a reset
                    assertThat(socket.getInputStream().read()).isEqualTo(-1);
                } catch (Exception e) {
                    bannerSent.completeExceptionally(e);
                    throw new RuntimeException(e);
                }
            });
            Channel tunnel = Tunnels.await(client.connect(SocksTarget.of(target.address())));
            try {
                bannerSent.get(10, TimeUnit.SECONDS);
                Collected collected = new Collected();
                tunnel.pipeline().addLast(collected);
                tunnel.config().setAutoRead(true);
                assertThat(collected.endOfInput.get(10, TimeUnit.SECONDS)).isEqualTo(banner);
                tunnel.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER)
                        .addListener(f -> ((io.netty.channel.socket.DuplexChannel) tunnel).shutdownOutput());
                served.get(10, TimeUnit.SECONDS);
            } finally {
                tunnel.close().syncUninterruptibly();
            }
        }
    }

    @Test
    void observerIsToldEachStepInOrder() throws Exception {
        List<String> steps = new CopyOnWriteArrayList<>();
        HandshakeObserver observer = new HandshakeObserver() {
            @Override
            public void proxyConnected(InetSocketAddress proxy, long nanoTime) {
                steps.add("connected " + proxy.getPort());
            }

            @Override
            public void hopStarted(int hop, ProxyUri proxy, long nanoTime) {
                steps.add("hop " + hop);
            }

            @Override
            public void resolved(String host, java.net.InetAddress address, long nanoTime) {
                steps.add("resolved " + host + " " + address.getHostAddress());
            }

            @Override
            public void greetingSent(List<Integer> methods, long nanoTime) {
                steps.add("greeting " + methods);
            }

            @Override
            public void methodSelected(int method, long nanoTime) {
                steps.add("method " + method);
            }

            @Override
            public void requestSent(String command, SocksTarget target, long nanoTime) {
                steps.add(command + " " + target);
            }

            @Override
            public void replyReceived(SocksReply reply, long nanoTime) {
                steps.add("reply " + reply.replyCode());
            }
        };
        try (SocksClient client = SocksClient.builder().proxy("socks5://" + ferry.hostAndPort())
                .dnsServers(List.of(dns.address())).observer(observer).build()) {
            Tunnels.await(client.connect(SocksTarget.of(ECHO_NAME, echo.port()))).close().syncUninterruptibly();
        }
        assertThat(steps).containsExactly("connected " + ferry.address().getPort(), "hop 0",
                "resolved " + ECHO_NAME + " 127.0.0.1", "greeting [0]", "method 0",
                "CONNECT " + ECHO_NAME + ":" + echo.port(), "reply 0");
    }

    /** Reads into a buffer and completes with it at the end of input. */
    private static final class Collected extends ChannelInboundHandlerAdapter {
        final CompletableFuture<byte[]> endOfInput = new CompletableFuture<>();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                byte[] chunk = new byte[buf.readableBytes()];
                buf.readBytes(chunk);
                bytes.writeBytes(chunk);
            } finally {
                buf.release();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                endOfInput.complete(bytes.toByteArray());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            endOfInput.completeExceptionally(new AssertionError("closed before the end of input; got "
                    + bytes.size() + " bytes"));
        }
    }
}
