package dev.ferryproxy.connect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.transport.Transport;
import dev.ferryproxy.transport.TransportKind;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TargetConnectorTest {
    /**
     * The target channel must live on the loop it was asked for (the client's, so the relay never
     * crosses threads) with TCP_NODELAY, also when the connector reuses its bootstrap per loop.
     */
    @Test
    void opensEachTargetOnTheRequestedLoopWithNoDelay() throws Exception {
        Transport transport = Transport.select(TransportKind.AUTO);
        EventLoopGroup group = transport.newEventLoopGroup(2);
        TargetConnector connector = new TargetConnector(transport.socketChannelType(), null, Duration.ofSeconds(5),
                WriteBufferWaterMark.DEFAULT);
        try (ServerSocket target = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            for (int i = 0; i < 4; i++) {
                EventLoop loop = group.next();
                Channel channel = connector.connect(List.of(InetAddress.getLoopbackAddress()), target.getLocalPort(), loop)
                        .syncUninterruptibly().getNow();
                try {
                    assertThat(channel.eventLoop()).isSameAs(loop);
                    assertThat(channel.config().getOption(ChannelOption.TCP_NODELAY)).isTrue();
                    assertThat(channel.config().isAutoRead()).isFalse();
                } finally {
                    channel.close().syncUninterruptibly();
                }
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
