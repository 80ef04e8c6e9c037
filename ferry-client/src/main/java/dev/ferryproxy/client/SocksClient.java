package dev.ferryproxy.client;

import dev.ferryproxy.resolve.DnsResolver;
import dev.ferryproxy.resolve.NameResolver;
import dev.ferryproxy.transport.Transport;
import dev.ferryproxy.transport.TransportKind;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.nio.NioIoHandle;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A SOCKS client: connects to the nearest proxy, runs the handshakes of every proxy in the chain,
 * and hands over the tunnel.
 *
 * <pre>{@code
 * try (SocksClient client = SocksClient.builder().proxy("socks5h://alice:secret@proxy.example:1080").build()) {
 *     Channel tunnel = client.connect(SocksTarget.of("example.com", 443)).sync().getNow();
 *     tunnel.pipeline().addLast(myHandler);
 *     tunnel.config().setAutoRead(true);
 * }
 * }</pre>
 *
 * <p>It runs on an event loop group of its own (one or two threads on the best {@link Transport})
 * or on one it borrows. Names it resolves itself (the first proxy's host, and targets of
 * {@code socks4://} and {@code socks5://} hops) go through Netty's asynchronous DNS resolver, which
 * reads /etc/hosts first; no event loop ever blocks. Tunnel channels are made with TCP_NODELAY and
 * ALLOW_HALF_CLOSURE on: the end of the target's stream arrives as a
 * {@link io.netty.channel.socket.ChannelInputShutdownEvent}, and the tunnel closes when both
 * directions have ended (or when the caller closes it).
 *
 * <p>Misuse is refused before any byte is sent, with an {@link IllegalArgumentException}: a
 * target or proxy that SOCKS cannot carry (see {@link SocksTarget} and {@link ProxyUri}), an IPv6
 * address behind a SOCKS4 or SOCKS4a hop, UDP ASSOCIATE through a SOCKS4 hop.
 */
public final class SocksClient implements AutoCloseable {
    /** Set on a tunnel channel: the last proxy's reply (bound address). */
    public static final AttributeKey<SocksReply> REPLY = AttributeKey.valueOf(SocksClient.class, "reply");

    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration DNS_QUERY_TIMEOUT = Duration.ofSeconds(5);

    private final List<ProxyUri> proxies;
    private final Duration connectTimeout;
    private final Duration handshakeTimeout;
    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final Transport transport;
    private final DnsResolver resolver;
    private final HandshakeObserver observer;
    private final Bootstrap bootstrap;
    private volatile boolean closed;

    private SocksClient(Builder b) {
        this.proxies = List.copyOf(b.proxies);
        this.connectTimeout = b.connectTimeout;
        this.handshakeTimeout = b.handshakeTimeout;
        this.observer = b.observer;
        if (b.group != null) {
            this.group = b.group;
            this.ownsGroup = false;
            this.transport = b.transport != null ? Transport.select(b.transport) : detectTransport(b.group);
        } else {
            this.transport = Transport.select(b.transport != null ? b.transport : TransportKind.AUTO);
            this.group = transport.newEventLoopGroup(Math.min(2, Runtime.getRuntime().availableProcessors()));
            this.ownsGroup = true;
        }
        this.resolver = new DnsResolver(transport.datagramChannelType(), transport.socketChannelType(), b.dnsServers,
                DNS_QUERY_TIMEOUT);
        this.bootstrap = new Bootstrap()
                .group(group)
                .channel(transport.socketChannelType())
                // The first proxy's address is resolved before connect; Bootstrap's default resolver would block.
                .resolver(NoopAddressResolverGroup.INSTANCE)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .handler(EmptyPipeline.INSTANCE);
    }

    /** A builder with no proxy yet, 10 s timeouts, and an event loop group of the client's own. */
    public static Builder builder() {
        return new Builder();
    }

    /** The proxies, nearest first. */
    public List<ProxyUri> proxies() {
        return proxies;
    }

    /** The transport the client's channels use ("epoll" or "nio"). */
    public Transport transport() {
        return transport;
    }

    /**
     * Opens a tunnel to {@code target}: connects to the first proxy (within the connect timeout),
     * and runs every hop's handshake (within the handshake timeout).
     *
     * <p>The channel is handed over with auto-read off and no handler of the caller's in its
     * pipeline; only {@value SocksClientHandshake#HOLD_NAME} is there, which keeps what the target
     * sent early and removes itself at the first read (see {@link SocksClientHandshake}). Add
     * handlers with {@code addLast}, then turn auto-read on. {@link #REPLY} holds the reply.
     *
     * @return fails with a {@link SocksException}, an {@link UnknownHostException} (a name resolved
     *     here), or the {@link java.net.ConnectException} of the connection to the first proxy
     * @throws IllegalArgumentException when a hop cannot express the target (nothing is sent)
     */
    public Future<Channel> connect(SocksTarget target) {
        checkUsable(ClientCommand.CONNECT, target);
        EventLoop loop = group.next();
        Promise<Channel> tunnel = loop.newPromise();
        AtomicReference<Channel> opened = new AtomicReference<>();
        tunnel.addListener(f -> {
            if (f.isCancelled() && opened.get() != null) {
                opened.get().close();
            }
        });
        dialFirstProxy(loop, tunnel).addListener(dialed -> {
            if (!dialed.isSuccess()) {
                tunnel.tryFailure(dialed.cause());
                return;
            }
            Channel channel = (Channel) dialed.getNow();
            opened.set(channel);
            if (tunnel.isDone()) {
                channel.close();
                return;
            }
            Promise<SocksReply> reply = loop.newPromise();
            SocksClientHandshake.start(channel, proxies, ClientCommand.CONNECT, target, resolver, handshakeTimeout,
                    observer, reply, null);
            reply.addListener(r -> {
                if (r.isSuccess()) {
                    channel.attr(REPLY).set(reply.getNow());
                    if (!tunnel.trySuccess(channel)) {
                        channel.close();
                    }
                } else {
                    channel.close();
                    tunnel.tryFailure(r.cause());
                }
            });
        });
        return tunnel;
    }

    /** {@link #connect(SocksTarget)} to {@code host:port}. */
    public Future<Channel> connect(String host, int port) {
        return connect(SocksTarget.of(host, port));
    }

    /**
     * Opens a tunnel to {@code target} for blocking code: waits for it (connect and handshake
     * timeouts bound the wait), then returns its streams.
     *
     * @throws IOException the failure of {@link #connect(SocksTarget)}
     * @throws InterruptedIOException when the thread is interrupted while waiting
     * @throws IllegalStateException when called on one of the client's event loops
     */
    public SocksStreams connectStreams(SocksTarget target) throws IOException {
        checkNotOnEventLoop();
        Future<Channel> tunnel = connect(target);
        Promise<SocksStreams> streams = group.next().newPromise();
        tunnel.addListener(f -> {
            if (!f.isSuccess()) {
                streams.tryFailure(f.cause());
                return;
            }
            Channel channel = (Channel) f.getNow();
            // On the tunnel's event loop, before anything else can read from it.
            SocksStreams attached = new SocksStreams(channel, channel.attr(REPLY).get());
            if (!streams.trySuccess(attached)) {
                attached.close();
            }
        });
        try {
            streams.await();
        } catch (InterruptedException e) {
            tunnel.cancel(false);
            if (!streams.cancel(false) && streams.isSuccess()) {
                streams.getNow().close();
            }
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while opening a tunnel to " + target);
        }
        if (!streams.isSuccess()) {
            throw asIOException(streams.cause());
        }
        return streams.getNow();
    }

    /**
     * Asks the last proxy to BIND: to listen for one connection from {@code expectedPeer} (SOCKS4
     * and SOCKS5 use its address to decide whom to accept; a port of 0 means any).
     *
     * @return completes with the first reply (where the proxy listens); {@link SocksBind#incoming()}
     *     then completes when the peer connects
     */
    public Future<SocksBind> bind(SocksTarget expectedPeer) {
        checkUsable(ClientCommand.BIND, expectedPeer);
        EventLoop loop = group.next();
        Promise<SocksBind> bound = loop.newPromise();
        dialFirstProxy(loop, bound).addListener(dialed -> {
            if (!dialed.isSuccess()) {
                bound.tryFailure(dialed.cause());
                return;
            }
            Channel channel = (Channel) dialed.getNow();
            Promise<SocksReply> first = loop.newPromise();
            Promise<SocksReply> second = loop.newPromise();
            Promise<SocksBind.Incoming> incoming = loop.newPromise();
            SocksClientHandshake.start(channel, proxies, ClientCommand.BIND, expectedPeer, resolver, handshakeTimeout,
                    observer, first, second);
            second.addListener(r -> {
                if (r.isSuccess()) {
                    channel.attr(REPLY).set(second.getNow());
                    if (!incoming.trySuccess(new SocksBind.Incoming(second.getNow(), channel))) {
                        channel.close();
                    }
                } else {
                    channel.close();
                    incoming.tryFailure(r.cause());
                }
            });
            incoming.addListener(f -> {
                if (f.isCancelled()) {
                    second.cancel(false);
                    channel.close();
                }
            });
            first.addListener(r -> {
                if (r.isSuccess()) {
                    if (!bound.trySuccess(new SocksBind(channel, first.getNow(), incoming))) {
                        channel.close();
                    }
                } else {
                    channel.close();
                    bound.tryFailure(r.cause());
                }
            });
        });
        return bound;
    }

    /**
     * Asks the last proxy (SOCKS5 only) for a UDP association: binds a UDP socket here, on the
     * address the control connection leaves from, tells the proxy that address, and returns the
     * association once the proxy has named its relay. Through a chain, the relay of the last
     * proxy must be reachable from here.
     *
     * @throws IllegalArgumentException when the last proxy is not SOCKS5
     */
    public Future<SocksUdpAssociation> udpAssociate() {
        checkUsable(ClientCommand.UDP_ASSOCIATE, SocksTarget.of("0.0.0.0", 0));
        EventLoop loop = group.next();
        Promise<SocksUdpAssociation> association = loop.newPromise();
        dialFirstProxy(loop, association).addListener(dialed -> {
            if (!dialed.isSuccess()) {
                association.tryFailure(dialed.cause());
                return;
            }
            Channel control = (Channel) dialed.getNow();
            InetAddress localIp = ((InetSocketAddress) control.localAddress()).getAddress();
            ChannelFuture udpBound = new Bootstrap()
                    .group(loop)
                    .channel(transport.datagramChannelType())
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(EmptyPipeline.INSTANCE)
                    .bind(new InetSocketAddress(localIp, 0));
            udpBound.addListener(b -> {
                if (!b.isSuccess()) {
                    control.close();
                    association.tryFailure(b.cause());
                    return;
                }
                Channel udp = udpBound.channel();
                control.closeFuture().addListener(c -> udp.close());
                Promise<SocksReply> reply = loop.newPromise();
                SocksTarget from = SocksTarget.of((InetSocketAddress) udp.localAddress());
                SocksClientHandshake.start(control, proxies, ClientCommand.UDP_ASSOCIATE, from, resolver,
                        handshakeTimeout, observer, reply, null);
                reply.addListener(r -> {
                    if (!r.isSuccess()) {
                        control.close();
                        association.tryFailure(r.cause());
                        return;
                    }
                    SocksReply answer = reply.getNow();
                    control.attr(REPLY).set(answer);
                    InetSocketAddress relay = relayAddress(answer, control);
                    if (relay.isUnresolved()) {
                        control.close();
                        association.tryFailure(new SocksException("the proxy named its UDP relay by the name "
                                + relay.getHostString() + ", which this client does not resolve", last(), null));
                        return;
                    }
                    SocksUdpAssociation made = new SocksUdpAssociation(control, udp, answer, relay, last().protocol(),
                            resolver);
                    if (!association.trySuccess(made)) {
                        made.close();
                    }
                });
            });
        });
        return association;
    }

    private static InetSocketAddress relayAddress(SocksReply reply, Channel control) {
        InetSocketAddress bound = reply.bound();
        if (!bound.isUnresolved() && bound.getAddress().isAnyLocalAddress()) {
            return new InetSocketAddress(((InetSocketAddress) control.remoteAddress()).getAddress(), bound.getPort());
        }
        return bound;
    }

    /**
     * Stops the client: releases its resolver and, when it owns its event loop group, shuts the
     * group down (which closes every channel on it) and waits for that, unless called on one of
     * its loops. Channels on a borrowed group stay open.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        resolver.close();
        if (ownsGroup) {
            Future<?> terminated = group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            if (!inOwnEventLoop()) {
                terminated.awaitUninterruptibly(10, TimeUnit.SECONDS);
            }
        }
    }

    // ---- internals -------------------------------------------------------------------------------

    private ProxyUri last() {
        return proxies.get(proxies.size() - 1);
    }

    private void checkUsable(ClientCommand command, SocksTarget target) {
        Objects.requireNonNull(target, "target");
        if (closed) {
            throw new IllegalStateException("the client is closed");
        }
        IllegalArgumentException invalid = SocksClientHandshake.checkChain(proxies, command, target);
        if (invalid != null) {
            throw invalid;
        }
    }

    private void checkNotOnEventLoop() {
        if (inOwnEventLoop()) {
            throw new IllegalStateException("a blocking call on one of the client's event loops");
        }
    }

    private boolean inOwnEventLoop() {
        for (EventExecutor executor : group) {
            if (executor.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Resolves the first proxy's host (an IP literal needs no DNS), then tries each address in
     * order, each within the connect timeout. Gives up when {@code caller} is cancelled.
     */
    private Future<Channel> dialFirstProxy(EventLoop loop, Future<?> caller) {
        Promise<Channel> dialed = loop.newPromise();
        ProxyUri first = proxies.get(0);
        loop.execute(() -> {
            Future<List<InetAddress>> resolved;
            try {
                resolved = resolver.resolveAll(first.host(), loop);
            } catch (RuntimeException e) {
                dialed.tryFailure(e);
                return;
            }
            resolved.addListener(r -> {
                if (!r.isSuccess()) {
                    dialed.tryFailure(r.cause() instanceof UnknownHostException ? r.cause()
                            : new UnknownHostException(first.host() + ": " + r.cause().getMessage()));
                    return;
                }
                @SuppressWarnings("unchecked")
                List<InetAddress> addresses = new ArrayList<>((List<InetAddress>) r.getNow());
                tryAddress(loop, addresses, 0, first.port(), null, dialed, caller);
            });
        });
        return dialed;
    }

    private void tryAddress(EventLoop loop, List<InetAddress> addresses, int index, int port, Throwable lastFailure,
            Promise<Channel> dialed, Future<?> caller) {
        if (caller.isDone()) {
            dialed.tryFailure(new IOException("cancelled"));
            return;
        }
        if (index >= addresses.size()) {
            dialed.tryFailure(lastFailure != null ? lastFailure
                    : new UnknownHostException(proxies.get(0).host() + ": no address"));
            return;
        }
        InetSocketAddress address = new InetSocketAddress(addresses.get(index), port);
        ChannelFuture attempt = bootstrap.clone(loop).connect(address);
        attempt.addListener(a -> {
            if (a.isSuccess()) {
                Channel channel = attempt.channel();
                if (caller.isDone()) {
                    channel.close();
                    dialed.tryFailure(new IOException("cancelled"));
                    return;
                }
                if (observer != null) {
                    try {
                        observer.proxyConnected(address, System.nanoTime());
                    } catch (RuntimeException e) {
                        // an observer must not break the connection
                    }
                }
                dialed.trySuccess(channel);
            } else {
                tryAddress(loop, addresses, index + 1, port, a.cause(), dialed, caller);
            }
        });
    }

    private static IOException asIOException(Throwable cause) {
        if (cause instanceof IOException) {
            return (IOException) cause;
        }
        if (cause instanceof RuntimeException) {
            throw (RuntimeException) cause;
        }
        return new IOException(cause);
    }

    /** The event loop group's transport, from what its loops can register. */
    private static Transport detectTransport(EventLoopGroup group) {
        EventLoop loop = group.next();
        if (loop instanceof IoEventLoop) {
            IoEventLoop ioLoop = (IoEventLoop) loop;
            if (Epoll.isAvailable() && ioLoop.isCompatible(EpollIoHandle.class)) {
                return Transport.select(TransportKind.EPOLL);
            }
            if (IoUring.isAvailable() && ioLoop.isCompatible(IoUringIoHandle.class)) {
                return Transport.select(TransportKind.IO_URING);
            }
            if (ioLoop.isCompatible(NioIoHandle.class)) {
                return Transport.select(TransportKind.NIO);
            }
        }
        throw new IllegalArgumentException("cannot tell the transport of " + group.getClass().getName()
                + "; give it with transport(TransportKind)");
    }

    /** The pipeline of a new channel stays empty. */
    @Sharable
    private static final class EmptyPipeline extends ChannelInitializer<Channel> {
        static final EmptyPipeline INSTANCE = new EmptyPipeline();

        @Override
        protected void initChannel(Channel ch) {
            // nothing: the handshake adds its handlers, the caller adds its own
        }
    }

    /** Builds a {@link SocksClient}. */
    public static final class Builder {
        private final List<ProxyUri> proxies = new ArrayList<>();
        private Duration connectTimeout = DEFAULT_TIMEOUT;
        private Duration handshakeTimeout = DEFAULT_TIMEOUT;
        private EventLoopGroup group;
        private TransportKind transport;
        private List<InetSocketAddress> dnsServers = List.of();
        private HandshakeObserver observer;

        private Builder() {
        }

        /** Adds a proxy to the chain; the first one added is the nearest. */
        public Builder proxy(ProxyUri proxy) {
            proxies.add(Objects.requireNonNull(proxy, "proxy"));
            return this;
        }

        /** Adds a proxy given as a URI, e.g. {@code socks5h://user:password@host:1080}. */
        public Builder proxy(String uri) {
            return proxy(ProxyUri.parse(uri));
        }

        /**
         * Sets the user name and password of the proxy added last (SOCKS5 only; each 1..255 bytes in UTF-8).
         *
         * @throws IllegalStateException when no proxy was added yet
         * @throws IllegalArgumentException when the proxy is SOCKS4 or a field is empty or too long
         */
        public Builder credentials(String username, String password) {
            if (proxies.isEmpty()) {
                throw new IllegalStateException("credentials(...) applies to the last proxy added, and none was");
            }
            int last = proxies.size() - 1;
            proxies.set(last, proxies.get(last).withCredentials(username, password));
            return this;
        }

        /** The most time one connection attempt to the first proxy may take; default 10 s. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive("connectTimeout", timeout);
            return this;
        }

        /** The most time all handshakes together may take, up to the last reply; default 10 s. */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = positive("handshakeTimeout", timeout);
            return this;
        }

        /** Runs on {@code group}, which the client borrows: {@link SocksClient#close()} leaves it running. */
        public Builder eventLoopGroup(EventLoopGroup group) {
            this.group = Objects.requireNonNull(group, "group");
            return this;
        }

        /**
         * The transport: for the client's own group, which one to make (default AUTO); for a
         * borrowed group, which one it is (default: told from the group).
         */
        public Builder transport(TransportKind kind) {
            this.transport = Objects.requireNonNull(kind, "kind");
            return this;
        }

        /** The name servers to ask for names resolved here; default (empty) those of /etc/resolv.conf. */
        public Builder dnsServers(List<InetSocketAddress> servers) {
            this.dnsServers = List.copyOf(servers);
            return this;
        }

        /** Told each step of every handshake, on the event loop; must not block. */
        public Builder observer(HandshakeObserver observer) {
            this.observer = observer;
            return this;
        }

        /**
         * @throws IllegalArgumentException when no proxy was given, or a hop cannot reach the next
         *     (an IPv6 address behind a SOCKS4 or SOCKS4a hop)
         */
        public SocksClient build() {
            if (proxies.isEmpty()) {
                throw new IllegalArgumentException("no proxy: add one with proxy(...)");
            }
            for (int i = 0; i + 1 < proxies.size(); i++) {
                ProxyUri hop = proxies.get(i);
                ProxyUri next = proxies.get(i + 1);
                if (!hop.protocol().carriesIpv6() && next.target().isIpv6Literal()) {
                    throw new IllegalArgumentException(hop + " cannot carry the IPv6 address of the next proxy " + next);
                }
            }
            return new SocksClient(this);
        }

        private static Duration positive(String name, Duration value) {
            Objects.requireNonNull(value, name);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: more than 0)");
            }
            return value;
        }
    }
}
