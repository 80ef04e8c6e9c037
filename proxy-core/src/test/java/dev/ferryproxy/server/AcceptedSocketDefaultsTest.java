package dev.ferryproxy.server;

import dev.ferryproxy.transport.TransportKind;
import dev.ferryproxy.transport.Transport;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * ProxyServer sets no TCP_NODELAY child option (one setsockopt per accept saved): it relies on
 * Netty turning TCP_NODELAY on when it builds an accepted channel. This fails if a Netty upgrade
 * drops that default, and the replies of a handshake would then wait for Nagle.
 */
class AcceptedSocketDefaultsTest {
    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = {"EPOLL", "IO_URING", "NIO"})
    void acceptedSocketsHaveNoDelayWithoutTheOption(TransportKind kind) throws Exception {
        assumeTrue(kind != TransportKind.EPOLL || Transport.epollUnavailabilityCause() == null, "epoll unavailable");
        assumeTrue(kind != TransportKind.IO_URING || Transport.ioUringUnavailabilityCause() == null,
                "io_uring unavailable");
        Transport transport = Transport.select(kind);
        EventLoopGroup group = transport.newEventLoopGroup(1);
        CompletableFuture<Boolean> noDelay = new CompletableFuture<>();
        try {
            Channel listener = new ServerBootstrap().group(group).channel(transport.serverChannelType())
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            // Read back from the socket itself (getsockopt on epoll), not a cached flag.
                            noDelay.complete(ch.config().getOption(ChannelOption.TCP_NODELAY));
                        }
                    })
                    .bind(InetAddress.getLoopbackAddress(), 0).syncUninterruptibly().channel();
            try (Socket client = new Socket()) {
                client.connect(listener.localAddress());
                assertThat(noDelay.get(5, TimeUnit.SECONDS)).isTrue();
            } finally {
                listener.close().syncUninterruptibly();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
