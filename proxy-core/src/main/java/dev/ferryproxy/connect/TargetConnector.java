package dev.ferryproxy.connect;

import dev.ferryproxy.internal.PipelineNames;
import dev.ferryproxy.relay.EarlyInboundHolder;
import dev.ferryproxy.relay.RelaySettings;
import dev.ferryproxy.resolve.NameResolver;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Opens the outbound connection of a CONNECT: resolves names without blocking, and tries every
 * address it is given in order until one connects, each with the connect timeout. Which of a
 * name's addresses may be dialled is for the caller (the access rules) to decide in between.
 *
 * <p>The target channel is created on the client's event loop, so the relay never hands a buffer
 * across threads. It starts with auto-read off: nothing is read from the target before the client
 * has its success reply and the relay is in place.
 */
public final class TargetConnector {
    private final NameResolver resolver;
    private final Bootstrap template;
    /**
     * The template bound to each event loop, made on its first connect and reused: a Bootstrap does
     * not change when it connects, and cloning one per CONNECT copied its option and attribute maps.
     * There are only as many entries as the server has event loops.
     */
    private final ConcurrentHashMap<EventLoop, Bootstrap> perLoop = new ConcurrentHashMap<>();
    private final RelaySettings relay;

    public TargetConnector(Class<? extends SocketChannel> socketChannelType, NameResolver resolver,
            Duration connectTimeout, WriteBufferWaterMark waterMark) {
        this(socketChannelType, resolver, connectTimeout, waterMark, RelaySettings.DEFAULT);
    }

    /** A connector whose channels are prepared for {@code relay} (see {@link RelaySettings#prepare}). */
    public TargetConnector(Class<? extends SocketChannel> socketChannelType, NameResolver resolver,
            Duration connectTimeout, WriteBufferWaterMark waterMark, RelaySettings relay) {
        this.resolver = resolver;
        this.relay = relay;
        this.template = new Bootstrap()
                .channel(socketChannelType)
                // Addresses are resolved before connect; Bootstrap's default resolver would block.
                .resolver(NoopAddressResolverGroup.INSTANCE)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                // TCP_NODELAY is Netty's default for socket channels (TargetConnectorTest); an option
                // here would set it a second time, one setsockopt per CONNECT.
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark)
                // The allocator ProxyServer gives client channels; without it Netty's default (adaptive)
                // allocator would hold every byte read from targets, outside the server's pool and its metrics.
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .handler(new TargetInitializer(relay));
    }

    /** How the tunnels of the channels it opens relay. */
    public RelaySettings relay() {
        return relay;
    }

    /** Resolves {@code host} without blocking; the future completes on {@code loop}. */
    public Future<List<InetAddress>> resolve(String host, EventLoop loop) {
        return resolver.resolveAll(host, loop);
    }

    /**
     * Connects to the first of {@code addresses} that accepts, trying them in order, on
     * {@code loop}. Cancelling the returned future abandons the attempt and closes any channel
     * it opened.
     */
    public Future<Channel> connect(List<InetAddress> addresses, int port, EventLoop loop) {
        Promise<Channel> promise = loop.newPromise();
        new Attempts(bootstrapFor(loop), port, promise).start(addresses);
        return promise;
    }

    private Bootstrap bootstrapFor(EventLoop loop) {
        Bootstrap bootstrap = perLoop.get(loop);
        return bootstrap != null ? bootstrap : perLoop.computeIfAbsent(loop, template::clone);
    }

    /** One CONNECT's walk through its resolved addresses. */
    private static final class Attempts implements ChannelFutureListener {
        private final Bootstrap bootstrap;
        private final int port;
        private final Promise<Channel> promise;
        private List<InetAddress> addresses;
        private int next;
        private ChannelFuture current;

        Attempts(Bootstrap bootstrap, int port, Promise<Channel> promise) {
            this.bootstrap = bootstrap;
            this.port = port;
            this.promise = promise;
            promise.addListener(done -> {
                if (done.isCancelled() && current != null) {
                    current.channel().close();
                }
            });
        }

        void start(List<InetAddress> resolved) {
            this.addresses = resolved;
            tryNext(null);
        }

        private void tryNext(Throwable lastFailure) {
            if (promise.isDone()) {
                return;
            }
            if (next == addresses.size()) {
                promise.tryFailure(lastFailure != null ? lastFailure : new UnknownHostException("no addresses"));
                return;
            }
            current = bootstrap.connect(new InetSocketAddress(addresses.get(next++), port));
            current.addListener(this);
        }

        @Override
        public void operationComplete(ChannelFuture attempt) {
            if (attempt.isSuccess()) {
                if (!promise.trySuccess(attempt.channel())) {
                    attempt.channel().close();
                }
            } else {
                tryNext(attempt.cause());
            }
        }
    }

    /** Until the relay joins it, the target pipeline holds whatever arrives early. */
    @Sharable
    private static final class TargetInitializer extends ChannelInitializer<Channel> {
        private final RelaySettings relay;

        TargetInitializer(RelaySettings relay) {
            this.relay = relay;
        }

        @Override
        protected void initChannel(Channel ch) {
            relay.prepare(ch);
            ch.pipeline().addLast(PipelineNames.EARLY_INBOUND, new EarlyInboundHolder());
        }
    }
}
