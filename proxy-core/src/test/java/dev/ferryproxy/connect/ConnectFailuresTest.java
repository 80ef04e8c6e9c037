package dev.ferryproxy.connect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.command.CommandOutcome;
import dev.ferryproxy.transport.Transport;
import dev.ferryproxy.transport.TransportKind;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ServerSocket;
import java.net.SocketException;
import java.net.UnknownHostException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class ConnectFailuresTest {
    /** A real refused connect on each transport: the exception Netty really raises must map to 0x05. */
    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = {"EPOLL", "IO_URING", "NIO"})
    void realRefusedConnectMapsToConnectionRefused(TransportKind kind) throws Exception {
        boolean unavailable = kind == TransportKind.EPOLL && Transport.epollUnavailabilityCause() != null
                || kind == TransportKind.IO_URING && Transport.ioUringUnavailabilityCause() != null;
        Transport transport = unavailable ? Transport.select(TransportKind.NIO) : Transport.select(kind);
        EventLoopGroup group = transport.newEventLoopGroup(1);
        try {
            ChannelFuture attempt = new Bootstrap().group(group).channel(transport.socketChannelType())
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), closedPort()))
                    .awaitUninterruptibly();
            assertThat(attempt.isSuccess()).isFalse();
            assertThat(ConnectFailures.outcomeOf(attempt.cause()))
                    .as("%s", attempt.cause()).isEqualTo(CommandOutcome.CONNECTION_REFUSED);
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void mapsByTheOperatingSystemsWordsFirst() {
        // epoll reports EHOSTUNREACH as a ConnectException and ENETUNREACH as a NoRouteToHostException.
        assertThat(ConnectFailures.outcomeOf(new ConnectException("finishConnect(..) failed: No route to host")))
                .isEqualTo(CommandOutcome.HOST_UNREACHABLE);
        assertThat(ConnectFailures.outcomeOf(new NoRouteToHostException("connect(..) failed: Network is unreachable")))
                .isEqualTo(CommandOutcome.NETWORK_UNREACHABLE);
        assertThat(ConnectFailures.outcomeOf(new SocketException("Network is unreachable")))
                .isEqualTo(CommandOutcome.NETWORK_UNREACHABLE);
        assertThat(ConnectFailures.outcomeOf(new ConnectException("Connection refused: /127.0.0.1:1")))
                .isEqualTo(CommandOutcome.CONNECTION_REFUSED);
    }

    @Test
    void timeoutsAndUnknownNamesAreHostUnreachable() {
        assertThat(ConnectFailures.outcomeOf(new ConnectTimeoutException("connection timed out")))
                .isEqualTo(CommandOutcome.HOST_UNREACHABLE);
        assertThat(ConnectFailures.outcomeOf(new UnknownHostException("nx.example")))
                .isEqualTo(CommandOutcome.HOST_UNREACHABLE);
        assertThat(ConnectFailures.outcomeOf(new NoRouteToHostException()))
                .isEqualTo(CommandOutcome.HOST_UNREACHABLE);
    }

    @Test
    void anythingElseIsAGeneralFailure() {
        assertThat(ConnectFailures.outcomeOf(new ConnectException("Cannot assign requested address")))
                .isEqualTo(CommandOutcome.GENERAL_FAILURE);
        assertThat(ConnectFailures.outcomeOf(new IOException())).isEqualTo(CommandOutcome.GENERAL_FAILURE);
        assertThat(ConnectFailures.outcomeOf(new IllegalStateException("boom"))).isEqualTo(CommandOutcome.GENERAL_FAILURE);
    }

    /** A loopback port that was just free (bound then closed), so a connect to it is refused. */
    private static int closedPort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }
}
