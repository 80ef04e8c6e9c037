package dev.ferryproxy.benchmarks.load;

import dev.ferryproxy.client.ProxyUri;
import dev.ferryproxy.client.SocksClient;
import dev.ferryproxy.client.SocksTarget;
import dev.ferryproxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What a workload runs with: the generator's event loops, the targets (in this process or
 * elsewhere), and a way to open a tunnel to one of them, through the proxy with the project's
 * client library or, without a proxy, straight to it.
 */
final class LoadContext implements AutoCloseable {
    private final CommonOptions options;
    private final Transport transport;
    private final EventLoopGroup group;
    private final Targets ownTargets;
    private final TargetAddresses targets;
    private final ProxyUri proxy;
    private final SocksClient client;
    private final Bootstrap direct;

    private LoadContext(CommonOptions options) throws InterruptedException, UnknownHostException {
        this.options = options;
        this.transport = Transport.select(options.transportKind());
        this.proxy = options.proxyUri();
        TargetAddresses listening;
        if (options.targets != null) {
            ownTargets = null;
            listening = TargetAddresses.parse(options.targets);
        } else {
            ownTargets = Targets.start(transport, options.threadsOrDefault(), InetAddress.getByName(options.targetBind));
            listening = ownTargets.addresses();
        }
        targets = options.targetHost == null ? listening : new TargetAddresses(
                withHost(listening.sink()), withHost(listening.source()), withHost(listening.echo()),
                withHost(listening.udpEcho()));
        group = transport.newEventLoopGroup(options.threadsOrDefault());
        int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, options.timeout.toMillis());
        if (proxy != null) {
            client = SocksClient.builder().proxy(proxy).eventLoopGroup(group).transport(options.transportKind())
                    .connectTimeout(options.timeout).handshakeTimeout(options.timeout).build();
            direct = null;
        } else {
            client = null;
            direct = Wire.socketOptions(new Bootstrap().group(group).channel(transport.socketChannelType()))
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis)
                    .handler(NoHandlers.INSTANCE);
        }
    }

    static LoadContext open(CommonOptions options) throws InterruptedException, UnknownHostException {
        return new LoadContext(options);
    }

    private InetSocketAddress withHost(InetSocketAddress address) {
        return InetSocketAddress.createUnresolved(options.targetHost, address.getPort());
    }

    TargetAddresses targets() {
        return targets;
    }

    /** The proxy, or {@code null} when the targets are reached directly. */
    ProxyUri proxy() {
        return proxy;
    }

    /** The client library's client on the generator's loops; {@code null} when direct. */
    SocksClient client() {
        return client;
    }

    EventLoopGroup group() {
        return group;
    }

    Transport transport() {
        return transport;
    }

    CommonOptions options() {
        return options;
    }

    Duration warmup() {
        return options.warmup;
    }

    Duration duration() {
        return options.duration;
    }

    Long serverPid() {
        return options.serverPid;
    }

    /**
     * Opens a connection to {@code target}: a SOCKS tunnel when there is a proxy, else a plain
     * TCP connection. The channel comes with auto-read off and none of the caller's handlers.
     */
    Future<Channel> open(InetSocketAddress target) {
        if (client != null) {
            return client.connect(SocksTarget.of(target.getHostString(), target.getPort()));
        }
        EventLoop loop = group.next();
        Promise<Channel> opened = loop.newPromise();
        InetSocketAddress resolved;
        try {
            resolved = resolved(target);
        } catch (UnknownHostException e) {
            return opened.setFailure(e);
        }
        ChannelFuture connect = direct.clone(loop).connect(resolved);
        connect.addListener(f -> {
            if (f.isSuccess()) {
                opened.trySuccess(connect.channel());
            } else {
                opened.tryFailure(f.cause());
            }
        });
        return opened;
    }

    /**
     * The address of an IP literal, made without DNS. Direct mode takes IP literals only, so that
     * no event loop ever waits for a name.
     */
    static InetSocketAddress resolved(InetSocketAddress target) throws UnknownHostException {
        if (!target.isUnresolved()) {
            return target;
        }
        InetAddress ip = SocksTarget.of(target.getHostString(), target.getPort()).ipAddress();
        if (ip == null) {
            throw new UnknownHostException(target.getHostString() + ": direct mode takes IP literals only");
        }
        return new InetSocketAddress(ip, target.getPort());
    }

    /** A human description of the path measured. */
    String describe() {
        return (proxy == null ? "direct" : "through " + proxy) + " to targets " + targets + " (transport "
                + transport.name() + ", " + options.threadsOrDefault() + " loop(s))";
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        if (ownTargets != null) {
            ownTargets.close();
        }
    }

    /** Channels start with an empty pipeline: the workload adds its handler once connected. */
    @Sharable
    static final class NoHandlers extends ChannelInitializer<Channel> {
        static final NoHandlers INSTANCE = new NoHandlers();

        @Override
        protected void initChannel(Channel ch) {
            // nothing
        }
    }

    /** Waits for {@code future} without an interrupt surprise; used only off the event loops. */
    static <T> T await(Future<T> future, Duration timeout, String what) throws IOException, InterruptedException {
        if (!future.await(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS)) {
            future.cancel(false);
            throw new IOException(what + ": no answer within " + timeout);
        }
        if (!future.isSuccess()) {
            Throwable cause = future.cause();
            throw cause instanceof IOException ? (IOException) cause : new IOException(what + ": " + cause, cause);
        }
        return future.getNow();
    }
}
