package dev.ferryproxy.server;

import dev.ferryproxy.transport.Transport;
import dev.ferryproxy.accesslog.EndReason;
import dev.ferryproxy.accesslog.TunnelRecord;
import dev.ferryproxy.auth.LoginThrottle;
import dev.ferryproxy.auth.PasswordAuthenticator;
import dev.ferryproxy.auth.VerifiedCredentialCache;
import dev.ferryproxy.bind.BindService;
import dev.ferryproxy.connect.TargetConnector;
import dev.ferryproxy.connect.UpstreamConnector;
import dev.ferryproxy.admission.Admission;
import dev.ferryproxy.admission.AdmissionRefusal;
import dev.ferryproxy.limits.ClusterSettings;
import dev.ferryproxy.limits.LimitRefusal;
import dev.ferryproxy.limits.Limiter;
import dev.ferryproxy.limits.LimitsPolicy;
import dev.ferryproxy.limits.RedisFleetStore;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.EgressGuard;
import dev.ferryproxy.handshake.ProxyServices;
import dev.ferryproxy.handshake.UserSessions;
import dev.ferryproxy.metrics.ProxyMetrics;
import dev.ferryproxy.metrics.UdpMeters;
import dev.ferryproxy.proxyprotocol.ProxyProtocolStats;
import dev.ferryproxy.relay.RelayMode;
import dev.ferryproxy.relay.RelaySettings;
import dev.ferryproxy.resolve.DnsResolver;
import dev.ferryproxy.udp.DirectUdpSender;
import dev.ferryproxy.udp.RoutingUdpSender;
import dev.ferryproxy.udp.UdpAssociateService;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.ChannelGroupFuture;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A running SOCKS4/4a/5 server: an event loop per core, and one listening socket per configured
 * address. The listeners accept on those same loops (no acceptor thread of their own), and each
 * client's target connection runs on the client's own event loop.
 */
public final class ProxyServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);
    /** What {@link RelayMode#AUTO} picks on epoll; see docs/performance.md, "Relay". */
    private static final boolean AUTO_SPLICES = false;

    private final Transport transport;
    private final Admission admission;
    /** The per-user and per-network limits on tunnels, local or shared through a store. */
    private final Limiter limiter;
    private final EventLoopGroup workers;
    private final DnsResolver resolver;
    private final ProxyServerConfig config;
    private final AtomicReference<ProxyPolicy> policy;
    private final PasswordAuthenticator authenticator;
    /** The logins that passed a full password check lately, answered without one until they expire. */
    private final VerifiedCredentialCache loginCache;
    private final UdpAssociateService udp;
    private final UserSessions sessions = new UserSessions();
    private final ProxyProtocolStats proxyProtocolStats = new ProxyProtocolStats();
    private final ChannelGroup listenerChannels = new DefaultChannelGroup("listeners", GlobalEventExecutor.INSTANCE);
    /** Every accepted client connection while it is open (tunnels, handshakes, UDP control connections). */
    private final ChannelGroup clientChannels = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    /** The drain under way, or null before one began. */
    private final AtomicReference<CompletableFuture<Integer>> drain = new AtomicReference<>();
    private final List<InetSocketAddress> boundAddresses;
    private final ProxyMetrics metrics;
    private final RelaySettings relay;
    /** Set once every listener is bound; cleared when draining or closing begins. */
    private volatile boolean ready;

    private ProxyServer(ProxyServerConfig config) throws IOException {
        this.config = config;
        this.metrics = ProxyMetrics.create(config.meterRegistry(), config.metrics());
        // The guard behind the rules learns this host's own addresses, so clients cannot reach them.
        this.policy = new AtomicReference<>(withThisHostsGuard(config.policy()));
        this.loginCache = new VerifiedCredentialCache(config.authCacheTtl());
        this.authenticator = new PasswordAuthenticator(config.authThreads(), loginCache);
        this.transport = Transport.select(config.transport());
        this.workers = transport.newEventLoopGroup(
                config.workerThreads() > 0 ? config.workerThreads() : Runtime.getRuntime().availableProcessors());
        this.resolver = new DnsResolver(transport.datagramChannelType(), transport.socketChannelType(),
                config.dnsServers(), config.dnsQueryTimeout());
        WriteBufferWaterMark waterMark = new WriteBufferWaterMark(
                config.writeBufferLowWaterMarkBytes(), config.writeBufferHighWaterMarkBytes());
        this.relay = relaySettings(config, transport);
        TargetConnector connector = new TargetConnector(transport.socketChannelType(), resolver,
                config.connectTimeout(), waterMark, relay);
        UpstreamConnector upstreamConnector = new UpstreamConnector(connector, resolver, config.connectTimeout());
        // Associations whose policy has upstreams route each destination as its rule says.
        this.udp = new UdpAssociateService(config.udp(), transport.datagramChannelType(), resolver,
                config.advertisedAddress(), association -> association.upstreams().isEmpty()
                        ? DirectUdpSender.forAssociation(association)
                        : new RoutingUdpSender(association, upstreamConnector, transport.datagramChannelType()));
        LoginThrottle throttle = new LoginThrottle(config.loginThrottle());
        this.admission = new Admission(config.admission());
        this.limiter = Limiter.create(config.limits(), config.cluster(), RedisFleetStore::new);
        bindMeters(throttle);
        bindUserLimitMeters(config.policy());
        ServerBootstrap bootstrap = new ServerBootstrap()
                // Accepting on the workers: with one loop (one core) an accepted client is registered
                // on the loop that accepted it, with no hand-over to another thread (an eventfd write
                // and a wake-up per accept with an acceptor thread); with more, as many accepts as
                // before cross threads (docs/performance.md, "Syscalls per tunnel").
                .group(workers, workers)
                .channel(transport.serverChannelType())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                // No TCP_NODELAY option: Netty's socket channel config turns it on when it builds
                // the channel, and setting it again cost one setsockopt per accept
                // (AcceptedSocketDefaultsTest keeps that default checked).
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT);
        ProxyServices services = new ProxyServices(connector, upstreamConnector, policy::get, authenticator, throttle,
                sessions, new BindService(config.bind(), transport.serverChannelType(), resolver,
                        config.advertisedAddress(), waterMark, relay),
                udp, admission, limiter);
        List<InetSocketAddress> bound = new ArrayList<>();
        try {
            for (InetSocketAddress address : config.listeners()) {
                // Each listener has its own initializer: PROXY protocol is set per listener.
                Channel listener = bind(bootstrap.clone().childHandler(new MeteringChannelInitializer(metrics,
                        new ProxyChannelInitializer(config.handshakeTimeout(), services,
                                config.proxyProtocolFor(address), proxyProtocolStats),
                        clientChannels, config.accessLog())),
                        address);
                listenerChannels.add(listener);
                bound.add((InetSocketAddress) listener.localAddress());
                metrics.listener((InetSocketAddress) listener.localAddress());
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        this.boundAddresses = Collections.unmodifiableList(bound);
        this.ready = true;
    }

    /**
     * Registers the meters that read state kept elsewhere: failed logins, UDP, the pooled
     * allocator and the worker event loops (Micrometer's Netty binders).
     */
    private void bindMeters(LoginThrottle throttle) {
        FunctionCounter.builder("ferry.failed.logins", throttle, LoginThrottle::failedLogins)
                .description("RFC 1929 logins whose password did not match").register(metrics.registry());
        FunctionCounter.builder("ferry.proxy.protocol.headers", proxyProtocolStats, ProxyProtocolStats::accepted)
                .tag("result", "accepted").description("PROXY protocol headers accepted").register(metrics.registry());
        FunctionCounter.builder("ferry.proxy.protocol.headers", proxyProtocolStats, ProxyProtocolStats::rejected)
                .tag("result", "rejected")
                .description("connections closed for a missing, malformed, late or untrusted PROXY protocol header")
                .register(metrics.registry());
        FunctionCounter.builder("ferry.login.cache", loginCache, VerifiedCredentialCache::hits)
                .tag("result", "hit").description("logins of configured users answered without a bcrypt check")
                .register(metrics.registry());
        FunctionCounter.builder("ferry.login.cache", loginCache, VerifiedCredentialCache::misses)
                .tag("result", "miss").description("logins of configured users that took the full password check")
                .register(metrics.registry());
        FunctionCounter.builder("ferry.login.unchecked", authenticator, PasswordAuthenticator::rejectedBusy)
                .tag("reason", "busy").description("logins refused at once, unchecked: too many password checks waiting")
                .register(metrics.registry());
        FunctionCounter.builder("ferry.login.unchecked", authenticator, PasswordAuthenticator::rejectedSourceBusy)
                .tag("reason", "source_busy")
                .description("logins refused at once, unchecked: too many password checks under way from the address")
                .register(metrics.registry());
        FunctionCounter.builder("ferry.login.unchecked", authenticator, PasswordAuthenticator::abandoned)
                .tag("reason", "abandoned").description("password checks dropped unrun: the client had gone")
                .register(metrics.registry());
        Gauge.builder("ferry.login.checks", authenticator, PasswordAuthenticator::checksUnderWay)
                .description("password checks waiting or running").register(metrics.registry());
        for (AdmissionRefusal reason : AdmissionRefusal.values()) {
            FunctionCounter.builder("ferry.admission.refused", admission.refusedCounter(reason), LongAdder::sum)
                    .tag("reason", reason.tag())
                    .description("connections and UDP associations turned away by the admission limits")
                    .register(metrics.registry());
        }
        for (LimitRefusal reason : LimitRefusal.values()) {
            FunctionCounter.builder("ferry.limit.refused", limiter, l -> l.refused(reason))
                    .tag("limit", reason.tag())
                    .description("CONNECT and BIND tunnels refused by a per-user or per-network limit")
                    .register(metrics.registry());
        }
        FunctionCounter.builder("ferry.limit.quota.closed", limiter, Limiter::quotaClosures)
                .description("tunnels closed because their user or network spent its byte quota")
                .register(metrics.registry());
        FunctionCounter.builder("ferry.limits.store.failures", limiter, Limiter::storeFailures)
                .description("calls to the limits' shared store that failed or timed out")
                .register(metrics.registry());
        Gauge.builder("ferry.limits.store.connected", limiter, l -> l.storeConnected() ? 1 : 0)
                .description("1 while the limits' shared store is connected, 0 otherwise (and without one)")
                .register(metrics.registry());
        UdpMeters.bind(metrics.registry(), udp);
        new NettyAllocatorMetrics(PooledByteBufAllocator.DEFAULT).bindTo(metrics.registry());
        new NettyEventExecutorMetrics(workers).bindTo(metrics.registry());
    }

    /**
     * With per-user tags on, each configured user's tunnels held here and quota used (fleet-wide as
     * last charged), up to the tagged-user bound like the other per-user meters.
     */
    private void bindUserLimitMeters(ProxyPolicy current) {
        if (!config.metrics().perUserTags() || !limiter.policy().limitsAnything()) {
            return;
        }
        int tagged = 0;
        for (String user : current.users().names()) {
            if (tagged++ >= config.metrics().maxTaggedUsers()) {
                break;
            }
            Gauge.builder("ferry.user.tunnels", limiter, l -> l.tunnelsOfUser(user)).tag("user", user)
                    .description("tunnels the user holds on this server (users with a limit)")
                    .register(metrics.registry());
            Gauge.builder("ferry.user.quota.used", limiter, l -> l.quotaUsedByUser(user)).tag("user", user)
                    .baseUnit("bytes").description("bytes of its quota the user used this period, fleet-wide as last charged")
                    .register(metrics.registry());
        }
    }

    /**
     * How tunnels relay: splice needs epoll (elsewhere it falls back to buffers, and says so);
     * AUTO takes what measured faster (docs/performance.md, "Relay").
     */
    static RelaySettings relaySettings(ProxyServerConfig config, Transport transport) {
        boolean splice = switch (config.relay()) {
            case SPLICE -> transport.supportsSplice();
            case BUFFER -> false;
            case AUTO -> AUTO_SPLICES && transport.supportsSplice();
        };
        if (config.relay() == RelayMode.SPLICE && !splice) {
            log.info("relay splice needs the epoll transport; on {} tunnels relay in buffers", transport);
        }
        return new RelaySettings(splice, config.idleTimeout());
    }

    private static Channel bind(ServerBootstrap bootstrap, InetSocketAddress address) throws IOException {
        ChannelFuture bound = bootstrap.bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IOException("cannot listen on " + NetUtil.toSocketAddressString(address) + ": "
                    + bound.cause().getMessage(), bound.cause());
        }
        return bound.channel();
    }

    /**
     * Binds every listener and starts serving.
     *
     * @throws IOException when a listener cannot bind (the cause says which address and why);
     *     nothing is left running then
     */
    public static ProxyServer start(ProxyServerConfig config) throws IOException {
        return new ProxyServer(config);
    }

    /** The addresses actually listened on, with the ports the system chose for port 0. */
    public List<InetSocketAddress> boundAddresses() {
        return boundAddresses;
    }

    /** The first listener's address. */
    public InetSocketAddress address() {
        return boundAddresses.get(0);
    }

    /** The per-user and per-network limits at work. */
    public Limiter limiter() {
        return limiter;
    }

    /**
     * Puts new limits and a new (or no) shared store in force, as a reload does: open tunnels keep
     * flowing under the new limits; only new tunnels can be refused by them.
     */
    public void updateLimits(LimitsPolicy limits, ClusterSettings cluster) {
        limiter.update(limits);
        limiter.updateCluster(cluster);
        bindUserLimitMeters(policy.get());
    }

    /** The admission limits at work: what is held, and what was refused. */
    public Admission admission() {
        return admission;
    }

    public Transport transport() {
        return transport;
    }

    /** How this server's tunnels relay (splice or buffers) and their idle timeout. */
    public RelaySettings relay() {
        return relay;
    }

    /** What UDP ASSOCIATE shares across the server: its settings, counters and live associations. */
    public UdpAssociateService udp() {
        return udp;
    }

    /** PROXY protocol counts across all listeners. */
    public ProxyProtocolStats proxyProtocol() {
        return proxyProtocolStats;
    }

    /**
     * Connections closed for their PROXY protocol header (none where required, untrusted source,
     * invalid, too slow), across all listeners.
     */
    public long proxyProtocolRejected() {
        return proxyProtocolStats.rejected();
    }

    /** The users and rules in force now. */
    public ProxyPolicy policy() {
        return policy.get();
    }

    /**
     * Swaps in new users and rules at once. Connections already relaying keep flowing; handshakes
     * that began before the swap finish under the rules and the method choice they began with, but
     * a password is always checked against the users as they are now, so a revoked password fails
     * even on a connection opened before the swap. When the configuration
     * says so, the connections of users the new policy no longer has are closed.
     *
     * @throws IllegalArgumentException when the new policy would make this server an open proxy
     *     (the old policy then stays)
     */
    public void updatePolicy(ProxyPolicy next) {
        ProxyServerConfig.checkNotAnOpenProxy(boundAddresses, next, config.allowOpenProxy());
        policy.set(withThisHostsGuard(next));
        // After the swap. A check still under way then remembers the Credential it checked, and a
        // later login finds that entry only while its user still has that very Credential object:
        // a reload that re-read the user made a new one.
        loginCache.clear();
        if (config.closeConnectionsOfRemovedUsers()) {
            int closed = sessions.closeAllExcept(next.users().names());
            if (closed > 0) {
                log.info("closed {} connection(s) of users no longer configured", closed);
            }
        }
    }

    /** {@code configured} with the egress guard that knows this host's addresses, as they are now. */
    private static ProxyPolicy withThisHostsGuard(ProxyPolicy configured) {
        return configured.withEgressGuard(EgressGuard.withHostAddresses(HostAddresses.ofThisHost()));
    }

    /**
     * Whether this server should get new clients: every listener is bound and open, and neither
     * draining nor closing has begun. A load balancer's readiness check asks this.
     */
    public boolean isReady() {
        if (!ready) {
            return false;
        }
        for (Channel listener : listenerChannels) {
            if (!listener.isActive()) {
                return false;
            }
        }
        return true;
    }

    /** Marks this server as no longer ready (draining is about to begin); it keeps serving. */
    public void markDraining() {
        ready = false;
    }

    /** The number of client connections open now (tunnels, handshakes in progress, UDP control connections). */
    public int openConnections() {
        return clientChannels.size();
    }

    /**
     * Drains this server: it stops being {@linkplain #isReady() ready} at once, its listeners
     * close after {@code delay} (so that a load balancer sees it not ready first; connecting is
     * refused from then on), and the client connections already open run on until they end. When
     * {@code deadline} (counted from this call, like the delay) passes first, the ones still open
     * are closed. A second call returns the drain already under way.
     *
     * @return completes, never exceptionally, once no client connection is open: with 0 when they
     *     all ended by themselves, or with the number closed at the deadline
     */
    public CompletionStage<Integer> drain(Duration delay, Duration deadline) {
        if (delay.isNegative() || deadline.isNegative()) {
            throw new IllegalArgumentException("drain: delay " + delay + ", deadline " + deadline + " (expected: >= 0)");
        }
        CompletableFuture<Integer> done = new CompletableFuture<>();
        if (!drain.compareAndSet(null, done)) {
            return drain.get();
        }
        ready = false;
        Duration listenersClose = delay.compareTo(deadline) <= 0 ? delay : deadline;
        log.info("draining: ready=false; listeners close in {}", seconds(listenersClose));
        EventLoop loop = workers.next();
        // Set on loop when the deadline fires; from then on only the deadline completes done.
        AtomicBoolean deadlinePassed = new AtomicBoolean();
        loop.schedule(() -> listenerChannels.close().addListener(closed -> loop.execute(() -> {
            // This notice comes through Netty's global executor, which a loaded machine can run
            // after the deadline: back on loop, the deadline's flag says whether it still counts.
            if (deadlinePassed.get()) {
                return;
            }
            log.info("listeners closed; {} connection(s) open", clientChannels.size());
            watchUntilEmpty(loop, done, deadlinePassed);
        })), listenersClose.toNanos(), TimeUnit.NANOSECONDS);
        ScheduledFuture<?> deadlineTimer = loop.schedule(() -> {
            if (done.isDone()) {
                return;
            }
            deadlinePassed.set(true);
            int open = clientChannels.size();
            log.info("drain deadline passed: closing {} connection(s)", open);
            listenerChannels.close();
            closeClients().addListener(closed -> done.complete(open));
        }, deadline.toNanos(), TimeUnit.NANOSECONDS);
        done.whenComplete((forced, e) -> deadlineTimer.cancel(false));
        return done;
    }

    /**
     * Completes {@code done} once no client is open. Polls (every 50 ms) rather than counting
     * close events: a client accepted just before the listeners closed may join the group after
     * any snapshot taken here. Runs on {@code loop}, as the deadline does, so the two cannot both
     * complete {@code done}.
     */
    private void watchUntilEmpty(EventLoop loop, CompletableFuture<Integer> done, AtomicBoolean deadlinePassed) {
        if (done.isDone() || deadlinePassed.get()) {
            // The deadline's close completes done, with the count it closed, when the closes end.
            return;
        }
        if (clientChannels.isEmpty()) {
            log.info("drained");
            done.complete(0);
            return;
        }
        loop.schedule(() -> watchUntilEmpty(loop, done, deadlinePassed), 50, TimeUnit.MILLISECONDS);
    }

    /** Closes every client, noting in each one's access-log record that the server ended it. */
    private ChannelGroupFuture closeClients() {
        for (Channel client : clientChannels) {
            // On the channel's event loop, which the record is confined to; queued before the close.
            client.eventLoop().execute(() -> TunnelRecord.of(client).closing(EndReason.DRAIN));
        }
        return clientChannels.close();
    }

    private static String seconds(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + "s" : duration.toMillis() / 1000.0 + "s";
    }

    /** Stops accepting, closes every connection and releases the event loops and resolver. */
    @Override
    public void close() {
        ready = false;
        listenerChannels.close().awaitUninterruptibly();
        if (!clientChannels.isEmpty()) {
            log.info("closing {} connection(s)", clientChannels.size());
        }
        closeClients().awaitUninterruptibly();
        resolver.close();
        authenticator.close();
        limiter.close();
        workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
