package dev.ferryproxy.app.admin;

import dev.ferryproxy.transport.Transport;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The admin listener: {@code /metrics}, {@code /health/live} and {@code /health/ready}, served
 * with Netty's HTTP codec on an event loop of its own (of the proxy's transport), so that a busy
 * proxy still answers its probes and a slow scraper never touches the proxy's loops. It holds
 * under a crowd of slow clients ({@link AdminLimits}): a header deadline, an idle timeout, caps in
 * all and per client address, and room made by closing the oldest connection that has not sent
 * its request yet. See {@link AdminRequestHandler} for what each path answers.
 */
public final class AdminServer implements AutoCloseable {
    /** Request line and headers: a probe's head is a few hundred bytes. */
    private static final int MAX_INITIAL_LINE = 4096;
    private static final int MAX_HEADER_BYTES = 8192;
    /** Scrapes waiting for the scrape thread; Prometheus sends one per interval. */
    private static final int MAX_WAITING_SCRAPES = 4;

    private final EventLoopGroup loop;
    private final ExecutorService scraper;
    private final Channel listener;
    /** Every open admin connection, closed before the loop stops, so each releases what it holds. */
    private final ChannelGroup connections;

    private AdminServer(EventLoopGroup loop, ExecutorService scraper, Channel listener, ChannelGroup connections) {
        this.loop = loop;
        this.scraper = scraper;
        this.listener = listener;
        this.connections = connections;
    }

    /** {@link #start(InetSocketAddress, PrometheusMeterRegistry, BooleanSupplier, Transport, AdminLimits)} with the default limits. */
    public static AdminServer start(InetSocketAddress address, PrometheusMeterRegistry registry, BooleanSupplier ready,
            Transport transport) throws IOException {
        return start(address, registry, ready, transport, AdminLimits.DEFAULTS);
    }

    /**
     * Listens on {@code address} and serves until closed.
     *
     * @param ready whether the proxy should get traffic ({@code /health/ready} is 200 when true, else 503)
     * @param transport the proxy's transport, whose kind of event loop serves this listener too
     * @throws IOException when the address cannot be bound
     */
    public static AdminServer start(InetSocketAddress address, PrometheusMeterRegistry registry, BooleanSupplier ready,
            Transport transport, AdminLimits limits) throws IOException {
        EventLoopGroup loop = transport.newEventLoopGroup(1);
        ExecutorService scraper = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(MAX_WAITING_SCRAPES), task -> {
                    Thread thread = new Thread(task, "ferry-admin-scrape");
                    thread.setDaemon(true);
                    return thread;
                }, new ThreadPoolExecutor.AbortPolicy());
        AdminConnections connections = new AdminConnections(limits, registry);
        ChannelGroup open = new DefaultChannelGroup("ferry-admin", loop.next());
        ServerBootstrap bootstrap = new ServerBootstrap().group(loop)
                .channel(transport.serverChannelType())
                .option(ChannelOption.SO_BACKLOG, 128)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        open.add(channel);
                        channel.pipeline()
                                .addLast("connections", connections)
                                .addLast("idle", new IdleCloser(limits))
                                .addLast("http", new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_BYTES, 8192))
                                .addLast("request", new AdminRequestHandler(registry, ready, scraper, connections, limits));
                    }
                });
        try {
            Channel listener = bootstrap.bind(address).sync().channel();
            return new AdminServer(loop, scraper, listener, open);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            shutDown(loop, scraper);
            throw new IOException("interrupted while binding the admin listener", e);
        } catch (Exception e) {
            // sync() rethrows the bind failure itself, a BindException, though it declares none
            shutDown(loop, scraper);
            if (e instanceof RuntimeException) {
                throw (RuntimeException) e;
            }
            throw e instanceof IOException ? (IOException) e : new IOException(e);
        }
    }

    /** The bound address, with the port the system chose for port 0. */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        connections.close().syncUninterruptibly();
        shutDown(loop, scraper);
    }

    /** Closes a connection with no byte read or written for the idle timeout (a stalled reader). */
    private static final class IdleCloser extends IdleStateHandler {
        IdleCloser(AdminLimits limits) {
            super(0, 0, limits.idleTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }

        @Override
        protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent event) {
            ctx.close();
        }
    }

    private static void shutDown(EventLoopGroup loop, ExecutorService scraper) {
        scraper.shutdownNow();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
