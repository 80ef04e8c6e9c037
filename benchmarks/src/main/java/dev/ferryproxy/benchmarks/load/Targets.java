package dev.ferryproxy.benchmarks.load;

import dev.ferryproxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The generator's own targets, all on one event loop group: sink, source, echo (TCP) and UDP
 * echo, each on a free port of one address.
 */
public final class Targets implements AutoCloseable {
    private final EventLoopGroup group;
    private final List<Channel> listeners = new ArrayList<>();
    private final TargetAddresses addresses;
    private final AtomicInteger openConnections = new AtomicInteger();

    private Targets(Transport transport, int threads, InetAddress bind) throws InterruptedException {
        group = transport.newEventLoopGroup(threads);
        try {
            InetSocketAddress sink = listen(transport, bind, SinkTarget::new);
            InetSocketAddress source = listen(transport, bind, SourceTarget::new);
            InetSocketAddress echo = listen(transport, bind, EchoTarget::new);
            Channel udp = new Bootstrap().group(group).channel(transport.datagramChannelType())
                    .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
                    .option(ChannelOption.SO_SNDBUF, 4 * 1024 * 1024)
                    .handler(UdpEchoTarget.INSTANCE)
                    .bind(new InetSocketAddress(bind, 0)).sync().channel();
            listeners.add(udp);
            addresses = new TargetAddresses(sink, source, echo, (InetSocketAddress) udp.localAddress());
        } catch (InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Starts the targets on {@code bind} (e.g. 127.0.0.1) with {@code threads} event loops (0: Netty's default). */
    public static Targets start(Transport transport, int threads, InetAddress bind) throws InterruptedException {
        return new Targets(transport, threads, bind);
    }

    private InetSocketAddress listen(Transport transport, InetAddress bind, Supplier<ChannelHandler> handler)
            throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap().group(group).channel(transport.serverChannelType())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        openConnections.incrementAndGet();
                        ch.closeFuture().addListener(f -> openConnections.decrementAndGet());
                        ch.pipeline().addLast(handler.get());
                    }
                });
        Channel listener = bootstrap.bind(new InetSocketAddress(bind, 0)).sync().channel();
        listeners.add(listener);
        return (InetSocketAddress) listener.localAddress();
    }

    /** TCP connections the targets hold open now: 0 once every client is gone, else they leak. */
    public int openConnections() {
        return openConnections.get();
    }

    /** Where they listen, as IP literals. */
    public TargetAddresses addresses() {
        return new TargetAddresses(literal(addresses.sink()), literal(addresses.source()), literal(addresses.echo()),
                literal(addresses.udpEcho()));
    }

    private static InetSocketAddress literal(InetSocketAddress address) {
        return InetSocketAddress.createUnresolved(NetUtil.toAddressString(address.getAddress()), address.getPort());
    }

    @Override
    public void close() {
        for (Channel listener : listeners) {
            listener.close();
        }
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
