package dev.ferryproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RunningProxy;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.proxy.ProxyConnectException;
import io.netty.handler.proxy.ProxyHandler;
import io.netty.handler.proxy.Socks4ProxyHandler;
import io.netty.handler.proxy.Socks5ProxyHandler;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Netty's own SOCKS clients ({@link Socks4ProxyHandler}, {@link Socks5ProxyHandler} from
 * netty-handler-proxy) through the proxy to an echo target. Unresolved target addresses make them
 * send SOCKS4a and SOCKS5 domain requests, resolved by the proxy (localhost from /etc/hosts, or a
 * name only the DNS stub knows). The client bootstrap never resolves anything itself.
 */
@Timeout(60)
class NettyProxyHandlerEndToEndTest {
    private static final String STUB_NAME = "netty.ferry.test";
    private static final long TIMEOUT_SECONDS = 5;

    private static DnsStub dns;
    private static EchoServer ipv4Echo;
    private static EchoServer ipv6Echo;
    private static RunningProxy proxy;
    private static EventLoopGroup clientGroup;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of(STUB_NAME, List.of(Loopback.IPV4)));
        ipv4Echo = EchoServer.start(Loopback.IPV4);
        ipv6Echo = EchoServer.start(Loopback.IPV6);
        proxy = RunningProxy.start(dns.address());
        clientGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stop() throws Exception {
        if (clientGroup != null) {
            clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        Closeables.closeAll(proxy, ipv6Echo, ipv4Echo, dns);
    }

    @Test
    void socks4EchoesToIpv4Target() throws Exception {
        assertEchoes(() -> new Socks4ProxyHandler(proxy.address()),
                new InetSocketAddress(Loopback.IPV4, ipv4Echo.port()));
    }

    @Test
    void socks4aEchoesToUnresolvedLocalhost() throws Exception {
        assertEchoes(() -> new Socks4ProxyHandler(proxy.address()),
                InetSocketAddress.createUnresolved("localhost", ipv4Echo.port()));
    }

    @Test
    void socks4aEchoesToNameOnlyTheProxyCanResolve() throws Exception {
        assertEchoes(() -> new Socks4ProxyHandler(proxy.address(), "ferry-user"),
                InetSocketAddress.createUnresolved(STUB_NAME, ipv4Echo.port()));
        assertThat(dns.wasAskedAbout(STUB_NAME)).isTrue();
    }

    @Test
    void socks5EchoesToIpv4Target() throws Exception {
        assertEchoes(() -> new Socks5ProxyHandler(proxy.address()),
                new InetSocketAddress(Loopback.IPV4, ipv4Echo.port()));
    }

    @Test
    void socks5EchoesToIpv6Target() throws Exception {
        assertEchoes(() -> new Socks5ProxyHandler(proxy.address()),
                new InetSocketAddress(Loopback.IPV6, ipv6Echo.port()));
    }

    @Test
    void socks5EchoesToUnresolvedLocalhost() throws Exception {
        assertEchoes(() -> new Socks5ProxyHandler(proxy.address()),
                InetSocketAddress.createUnresolved("localhost", ipv4Echo.port()));
    }

    @Test
    void socks5EchoesToNameOnlyTheProxyCanResolve() throws Exception {
        assertEchoes(() -> new Socks5ProxyHandler(proxy.address()),
                InetSocketAddress.createUnresolved(STUB_NAME, ipv4Echo.port()));
    }

    @Test
    void socks5FailsForInvalidNameWithHostUnreachable() throws Exception {
        Throwable cause = connectExpectingFailure(() -> new Socks5ProxyHandler(proxy.address()),
                InetSocketAddress.createUnresolved("nowhere.invalid", ipv4Echo.port()));

        assertThat(cause).isInstanceOf(ProxyConnectException.class).hasMessageContaining("HOST_UNREACHABLE");
    }

    @Test
    void socks4aFailsForInvalidNameWithRejection() throws Exception {
        Throwable cause = connectExpectingFailure(() -> new Socks4ProxyHandler(proxy.address()),
                InetSocketAddress.createUnresolved("nowhere.invalid", ipv4Echo.port()));

        assertThat(cause).isInstanceOf(ProxyConnectException.class).hasMessageContaining("REJECTED_OR_FAILED");
    }

    /** Connects through the proxy handler, sends a line, and expects it echoed back exactly. */
    private static void assertEchoes(Supplier<ProxyHandler> proxyHandler, InetSocketAddress target) throws Exception {
        byte[] message = ("hello through " + target + "\n").getBytes(StandardCharsets.US_ASCII);
        Collector collector = new Collector(message.length);
        ProxyHandler handler = proxyHandler.get();
        Channel channel = connect(handler, collector, target);
        try {
            Future<Channel> established = handler.connectFuture().awaitUninterruptibly();
            assertThat(established.isSuccess()).as("proxy connect: %s", established.cause()).isTrue();
            channel.writeAndFlush(Unpooled.wrappedBuffer(message));

            byte[] echoed = collector.received.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertThat(new String(echoed, StandardCharsets.US_ASCII))
                    .isEqualTo(new String(message, StandardCharsets.US_ASCII));
        } finally {
            channel.close().syncUninterruptibly();
        }
    }

    private static Throwable connectExpectingFailure(Supplier<ProxyHandler> proxyHandler, InetSocketAddress target)
            throws Exception {
        ProxyHandler handler = proxyHandler.get();
        Channel channel = connect(handler, new Collector(1), target);
        try {
            Future<Channel> established = handler.connectFuture().awaitUninterruptibly();
            assertThat(established.isSuccess()).isFalse();
            return established.cause();
        } finally {
            channel.close().syncUninterruptibly();
        }
    }

    private static Channel connect(ProxyHandler handler, Collector collector, InetSocketAddress target) {
        handler.setConnectTimeoutMillis(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        Bootstrap bootstrap = new Bootstrap()
                .group(clientGroup)
                .channel(NioSocketChannel.class)
                // The target goes to the proxy as given: the client must never resolve it (no system DNS).
                .resolver(NoopAddressResolverGroup.INSTANCE)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(handler, collector);
                    }
                });
        // The connect future fails on a proxy failure too; the handler's connectFuture says why.
        return bootstrap.connect(target).awaitUninterruptibly().channel();
    }

    /** Copies what the tunnel delivers (releasing each buffer) until the expected count has arrived. */
    private static final class Collector extends SimpleChannelInboundHandler<ByteBuf> {
        final CompletableFuture<byte[]> received = new CompletableFuture<>();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final int expected;

        Collector(int expected) {
            this.expected = expected;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
            byte[] chunk = new byte[msg.readableBytes()];
            msg.readBytes(chunk);
            bytes.writeBytes(chunk);
            if (bytes.size() >= expected) {
                received.complete(bytes.toByteArray());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            received.completeExceptionally(cause);
            ctx.close();
        }
    }
}
