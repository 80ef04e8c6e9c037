package dev.ferryproxy.bind;

import dev.ferryproxy.internal.PipelineNames;
import dev.ferryproxy.policy.PortRange;
import dev.ferryproxy.relay.EarlyInboundHolder;
import dev.ferryproxy.relay.RelaySettings;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Opens the listening socket of one BIND, on the client's event loop, so that the peer it
 * accepts lives on that loop too and the relay never hands a buffer across threads.
 *
 * <p>Without a port range the system picks the port. With one, ports are tried in turn from a
 * random start in the range (so concurrent BINDs do not all queue on its first ports), each
 * bind an asynchronous step chained to the last; a port in use moves on to the next, any other
 * failure (no such local address, a privileged port) ends the walk at once, since every port
 * would fail the same way. When all are in use the future fails with a {@link BindException}
 * that names the range.
 *
 * <p>Accepted peers start as CONNECT's target channels do: auto-read off, half-closure allowed,
 * the relay's water marks, the pooled allocator, TCP_NODELAY, and an {@link EarlyInboundHolder}
 * until the relay joins them.
 */
final class BindListeners {
    /** A BIND takes one connection; a short queue bounds what strangers can park on its port. */
    private static final int BACKLOG = 8;
    private static final String ARRIVAL = "bindArrival";

    private BindListeners() {
    }

    /**
     * Listens on {@code address} on {@code loop} and reports accepted connections to
     * {@code peers}. Cancelling the returned future abandons the attempt and closes any listener
     * it opened.
     */
    static Future<Channel> open(BindService service, InetAddress address, EventLoop loop, IncomingPeers peers) {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loop, loop)
                .channel(service.serverChannelType())
                // Lets a port of the range be listened on again while connections it accepted linger in TIME_WAIT.
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.SO_BACKLOG, BACKLOG)
                .handler(new AcceptFailures(peers))
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, service.waterMark())
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(new PeerInitializer(peers, service.relay()));
        Promise<Channel> promise = loop.newPromise();
        new PortAttempts(bootstrap, address, service.settings().ports(), promise).start();
        return promise;
    }

    /** One BIND's walk through the port range (or one bind to port 0). */
    private static final class PortAttempts implements ChannelFutureListener {
        private final ServerBootstrap bootstrap;
        private final InetAddress address;
        private final PortRange range;
        private final Promise<Channel> promise;
        private int next;
        private int left;
        private ChannelFuture current;

        PortAttempts(ServerBootstrap bootstrap, InetAddress address, PortRange range, Promise<Channel> promise) {
            this.bootstrap = bootstrap;
            this.address = address;
            this.range = range;
            this.promise = promise;
            promise.addListener(done -> {
                if (done.isCancelled() && current != null) {
                    current.channel().close();
                }
            });
        }

        void start() {
            if (range == null) {
                left = 1;
                next = 0;
            } else {
                left = range.hi() - range.lo() + 1;
                next = range.lo() + ThreadLocalRandom.current().nextInt(left);
            }
            tryNext();
        }

        private void tryNext() {
            int port = next;
            left--;
            if (range != null) {
                next = port == range.hi() ? range.lo() : port + 1;
            }
            current = bootstrap.bind(new InetSocketAddress(address, port));
            current.addListener(this);
        }

        @Override
        public void operationComplete(ChannelFuture attempt) {
            if (attempt.isSuccess()) {
                if (!promise.trySuccess(attempt.channel())) {
                    attempt.channel().close();
                }
            } else if (promise.isDone()) {
                return;
            } else if (left > 0 && inUse(attempt.cause())) {
                tryNext();
            } else if (range != null && inUse(attempt.cause())) {
                promise.tryFailure(new BindException("every port in " + range + " on "
                        + NetUtil.toAddressString(address) + " is in use"));
            } else {
                promise.tryFailure(attempt.cause());
            }
        }

        /** EADDRINUSE, as NIO (BindException) and epoll (NativeIoException) both spell it. */
        private static boolean inUse(Throwable cause) {
            String message = cause.getMessage();
            return message != null && message.toLowerCase(Locale.ROOT).contains("address already in use");
        }
    }

    /** Reports a failed accept: the listener stops, and the BIND fails. */
    @Sharable
    private static final class AcceptFailures extends ChannelInboundHandlerAdapter {
        private final IncomingPeers peers;

        AcceptFailures(IncomingPeers peers) {
            this.peers = peers;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
            peers.acceptFailed(cause);
        }
    }

    /** Sets up an accepted peer's pipeline, and reports the peer once it is active. */
    private static final class PeerInitializer extends ChannelInitializer<Channel> {
        private final IncomingPeers peers;
        private final RelaySettings relay;

        PeerInitializer(IncomingPeers peers, RelaySettings relay) {
            this.peers = peers;
            this.relay = relay;
        }

        @Override
        protected void initChannel(Channel ch) {
            relay.prepare(ch);
            ch.pipeline().addLast(ARRIVAL, new Arrival(peers));
            ch.pipeline().addLast(PipelineNames.EARLY_INBOUND, new EarlyInboundHolder());
        }
    }

    /**
     * Hands the peer over once its pipeline is complete and it is active, rather than from inside
     * the initializer, so that the receiver may write, relay or close it freely.
     */
    private static final class Arrival extends ChannelInboundHandlerAdapter {
        private final IncomingPeers peers;

        Arrival(IncomingPeers peers) {
            this.peers = peers;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.pipeline().remove(this);
            ctx.fireChannelActive();
            peers.arrived(ctx.channel());
        }
    }
}
