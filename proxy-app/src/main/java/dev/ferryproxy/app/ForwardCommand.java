package dev.ferryproxy.app;

import ch.qos.logback.classic.Level;
import dev.ferryproxy.client.SocksClient;
import dev.ferryproxy.client.SocksReply;
import dev.ferryproxy.client.SocksTarget;
import dev.ferryproxy.relay.EarlyInboundHolder;
import dev.ferryproxy.relay.RelayHandler;
import dev.ferryproxy.transport.Transport;
import dev.ferryproxy.transport.TransportKind;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ferry forward --proxy URI --local HOST:PORT --target HOST:PORT}: a local port forwarded
 * through the proxy. Each connection accepted on {@code --local} gets its own tunnel to the
 * target, relayed both ways with backpressure and half-close, on the event loop that accepted it.
 * Runs until SIGTERM or Ctrl-C.
 */
@Command(name = "forward",
        mixinStandardHelpOptions = true,
        versionProvider = FerryVersion.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Accepts connections on --local and forwards each one through the proxy to --target, each in a tunnel"
                    + " of its own, as many at once as come. Runs until SIGTERM or Ctrl-C.",
            "Logs go to standard error: one line when it listens, one per connection opened and closed, and why a"
                    + " tunnel could not be opened (the reply code and its meaning).",
            "Exit codes: 0 stopped by SIGTERM or Ctrl-C; 1 --local cannot be listened on; 2 invalid options."
        })
final class ForwardCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ForwardCommand.class);
    private static final String RELAY = "relay";
    private static final String COUNT = "count";
    private static final String EARLY = "early";

    @Spec
    private CommandSpec spec;

    @Mixin
    private ClientOptions client;

    @Option(names = "--local", required = true, paramLabel = "HOST:PORT", converter = FerryCommand.HostPortConverter.class,
            description = "Address to accept connections on, e.g. 127.0.0.1:8080; IPv6 as [::1]:8080; port 0 picks"
                    + " a free port (the log says which). Off loopback, anyone who can reach it can use the tunnel.")
    private InetSocketAddress local;

    @Option(names = "--target", required = true, paramLabel = "HOST:PORT", converter = ClientOptions.TargetConverter.class,
            description = "Where each connection goes, as the (last) proxy sees it. IPv6 as [::1]:22.")
    private SocksTarget target;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            converter = FerryCommand.LogLevelConverter.class,
            description = "error, warn, info, debug or trace (default: ${DEFAULT-VALUE}); logs go to standard error.")
    private Level logLevel;

    private final AtomicLong connectionIds = new AtomicLong();
    /** One client per event loop, so that a tunnel runs on the loop of the connection it carries. */
    private final Map<EventExecutor, SocksClient> clients = new IdentityHashMap<>();

    @Override
    public Integer call() throws InterruptedException {
        ClientOptions.configureLogging(logLevel);
        PrintWriter err = spec.commandLine().getErr();
        String chainProblem = client.chainProblem(target);
        if (chainProblem != null) {
            err.println("ferry forward: " + chainProblem);
            err.flush();
            return 2;
        }
        Transport transport = Transport.select(TransportKind.AUTO);
        EventLoopGroup group = transport.newEventLoopGroup(0);
        ChannelGroup open = new DefaultChannelGroup("ferry-forward", GlobalEventExecutor.INSTANCE);
        try {
            try {
                for (EventExecutor loop : group) {
                    clients.put(loop, client.clientBuilder().eventLoopGroup((EventLoop) loop).build());
                }
            } catch (IllegalArgumentException e) {
                // a chain whose hops cannot reach each other (an IPv6 proxy behind a SOCKS4 one)
                err.println("ferry forward: " + e.getMessage());
                err.flush();
                return 2;
            }
            ChannelFuture bound = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannelType())
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    // nothing is read from a connection before its tunnel is up
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            open.add(ch);
                            // Auto-read is off, but epoll still reads to the end when the client hangs up:
                            // what a client sends (and its end of input) before the tunnel is up waits here.
                            ch.pipeline().addLast(EARLY, new EarlyInboundHolder());
                            openTunnel(ch, open);
                        }
                    })
                    .bind(local)
                    .await();
            if (!bound.isSuccess()) {
                err.println("ferry forward: cannot listen on " + NetUtil.toSocketAddressString(local) + ": "
                        + bound.cause().getMessage());
                err.flush();
                return 1;
            }
            Channel server = bound.channel();
            if (!local.getAddress().isLoopbackAddress()) {
                log.warn("{} is not a loopback address: whoever can reach it can use the tunnel to {}",
                        NetUtil.toSocketAddressString(local), target);
            }
            StopSignals stop = StopSignals.install();
            log.info("forwarding {} to {} through {} (transport {})",
                    NetUtil.toSocketAddressString((InetSocketAddress) server.localAddress()), target,
                    client.describeProxies(), transport);
            String signal = stop.await();
            log.info("stopping on {}: closing {} connection(s)", signal, open.size());
            server.close().awaitUninterruptibly();
            open.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            log.info("stopped");
            return 0;
        } finally {
            for (SocksClient socks : clients.values()) {
                socks.close();
            }
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** On the accepting loop: opens the connection's tunnel, then relays; closes the connection if that fails. */
    private void openTunnel(Channel local, ChannelGroup open) {
        long id = connectionIds.incrementAndGet();
        long started = System.nanoTime();
        String from = NetUtil.toSocketAddressString((InetSocketAddress) local.remoteAddress());
        log.debug("#{} accepted from {}; opening a tunnel to {}", id, from, target);
        Future<Channel> tunnelFuture;
        try {
            tunnelFuture = clients.get(local.eventLoop()).connect(target);
        } catch (RuntimeException e) {
            log.warn("#{} from {}: no tunnel to {}: {}", id, from, target, ClientErrors.describe(e));
            local.close();
            return;
        }
        // A client that leaves while the tunnel is being opened: give up on it.
        ChannelFuture localClosed = local.closeFuture();
        localClosed.addListener(f -> tunnelFuture.cancel(false));
        tunnelFuture.addListener(f -> {
            if (!f.isSuccess()) {
                if (!f.isCancelled()) {
                    log.warn("#{} from {}: no tunnel to {}: {}", id, from, target, ClientErrors.describe(f.cause()));
                }
                local.close();
                return;
            }
            Channel tunnel = tunnelFuture.getNow();
            if (!local.isActive()) {
                tunnel.close();
                return;
            }
            open.add(tunnel);
            SocksReply reply = tunnel.attr(SocksClient.REPLY).get();
            log.info("#{} from {}: tunnel to {} open in {} ms (proxy bound {})", id, from, target,
                    String.format(Locale.ROOT, "%.1f", (System.nanoTime() - started) / 1e6),
                    reply == null ? "?" : NetUtil.toSocketAddressString(reply.bound()));
            ByteCounter up = new ByteCounter();
            ByteCounter down = new ByteCounter();
            local.pipeline().addLast(COUNT, up);
            tunnel.pipeline().addLast(COUNT, down);
            RelayHandler.join(local, tunnel, RELAY);
            // hands what the client sent early, and its end of input, to the relay
            local.pipeline().remove(EARLY);
            AtomicInteger closed = new AtomicInteger();
            Runnable logClose = () -> {
                if (closed.incrementAndGet() == 2) {
                    log.info("#{} from {}: closed after {} s; {} bytes sent, {} received", id, from,
                            String.format(Locale.ROOT, "%.1f", (System.nanoTime() - started) / 1e9),
                            up.bytes(), down.bytes());
                }
            };
            local.closeFuture().addListener(c -> logClose.run());
            tunnel.closeFuture().addListener(c -> logClose.run());
            // not on an input that has ended already: epoll cannot watch it again
            RelayHandler.setReading(local, true);
            RelayHandler.setReading(tunnel, true);
        });
    }

    /** Counts the bytes read on one channel, and passes them on. */
    private static final class ByteCounter extends ChannelInboundHandlerAdapter {
        private final AtomicLong bytes = new AtomicLong();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf) {
                bytes.addAndGet(((ByteBuf) msg).readableBytes());
            }
            ctx.fireChannelRead(msg);
        }

        long bytes() {
            return bytes.get();
        }
    }
}
