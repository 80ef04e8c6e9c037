package dev.ferryproxy.metrics;

import dev.ferryproxy.codec.SocksVersion;
import dev.ferryproxy.policy.Command;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.NetUtil;

import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server-wide meters (each is listed in docs/metrics.md). Every meter that the hot paths touch
 * is registered once, up front, so recording never looks anything up, never allocates, and never
 * blocks: the relay adds to a {@link LongAdder} that a {@link FunctionCounter} reads at scrape
 * time. Tags have low cardinality only: never a client or destination address, and a user only
 * when {@link MetricsSettings#perUserTags()} is on, for a bounded number of users.
 *
 * <p>Without a registry the meters go to an empty {@link CompositeMeterRegistry}, whose meters do
 * nothing, so the code that records need not ask whether metrics are on.
 */
public final class ProxyMetrics {
    private static final Command[] COMMANDS = {Command.CONNECT, Command.BIND, Command.UDP_ASSOCIATE, null};
    private static final HandshakeOutcome[] OUTCOMES = HandshakeOutcome.values();

    /** The {@code user} tag of connections without a login. */
    public static final String NO_USER = "_none";
    /** The {@code user} tag of logged-in users beyond the bound. */
    public static final String OTHER_USERS = "_other";

    private final MeterRegistry registry;
    private final AtomicLong tunnels = new AtomicLong();
    private final ChannelFutureListener tunnelClosed = closed -> tunnels.decrementAndGet();
    private final boolean perUserTags;
    private final int maxTaggedUsers;
    /** Without per-user tags, every connection's; with them, those without a login's. */
    private final UserMeters untagged;
    /** Users beyond the bound (per-user tags only). */
    private final UserMeters others;
    private final ConcurrentHashMap<String, UserMeters> users = new ConcurrentHashMap<>();
    private final AtomicInteger taggedUsers = new AtomicInteger();
    private final Counter socks4;
    private final Counter socks5;
    private final Counter notSocks;
    private final Timer handshakeTime;
    private final Timer connectOk;
    private final Timer connectFailed;
    private final Timer dnsOk;
    private final Timer dnsFailed;
    /** By the listener's bound address, as its channel reports it: the lookup per accept builds no String. */
    private final ConcurrentHashMap<InetSocketAddress, ListenerMeters> listeners = new ConcurrentHashMap<>();

    private ProxyMetrics(MeterRegistry registry, MetricsSettings settings) {
        this.registry = registry;
        this.perUserTags = settings.perUserTags();
        this.maxTaggedUsers = settings.maxTaggedUsers();
        this.untagged = new UserMeters(registry, perUserTags ? Tags.of("user", NO_USER) : Tags.empty());
        this.others = perUserTags ? new UserMeters(registry, Tags.of("user", OTHER_USERS)) : untagged;
        Gauge.builder("ferry.tunnels.active", tunnels, AtomicLong::get)
                .description("TCP tunnels (CONNECT and BIND) relaying now").register(registry);
        socks4 = versionCounter("4");
        socks5 = versionCounter("5");
        notSocks = versionCounter("none");
        handshakeTime = Timer.builder("ferry.handshake.duration")
                .description("From accept to the success reply")
                .publishPercentileHistogram().register(registry);
        connectOk = connectTimer("ok");
        connectFailed = connectTimer("failed");
        dnsOk = dnsTimer("ok");
        dnsFailed = dnsTimer("failed");
    }

    /** Meters that go to {@code registry}, or nowhere when it is {@code null}. */
    public static ProxyMetrics create(MeterRegistry registry) {
        return create(registry, MetricsSettings.DEFAULT);
    }

    /** Meters that go to {@code registry} (or nowhere), with {@code settings}' optional parts. */
    public static ProxyMetrics create(MeterRegistry registry, MetricsSettings settings) {
        return new ProxyMetrics(registry == null ? new CompositeMeterRegistry() : registry,
                settings == null ? MetricsSettings.DEFAULT : settings);
    }

    /**
     * The handshake and relayed-bytes meters of a connection logged in as {@code user}
     * ({@code null}: none). Without per-user tags, the one untagged set; with them, the user's own
     * (registered the first time, while fewer than the bound are), {@code _other}'s beyond the
     * bound, {@code _none}'s without a user. Called once per connection, not per read.
     */
    UserMeters forUser(String user) {
        if (!perUserTags || user == null) {
            return untagged;
        }
        UserMeters meters = users.get(user);
        if (meters == null) {
            meters = users.computeIfAbsent(user, name -> taggedUsers.getAndIncrement() < maxTaggedUsers
                    ? new UserMeters(registry, Tags.of("user", name)) : null);
        }
        return meters != null ? meters : others;
    }

    /** The meters of connections without a user (all connections, without per-user tags). */
    UserMeters untagged() {
        return untagged;
    }

    public MeterRegistry registry() {
        return registry;
    }

    private Counter versionCounter(String version) {
        return Counter.builder("ferry.connections.versioned")
                .description("Connections by the SOCKS version their first byte named (none: not SOCKS)")
                .tag("version", version).register(registry);
    }

    private Timer connectTimer(String result) {
        return Timer.builder("ferry.target.connect.duration")
                .description("Dialling a CONNECT target (through upstreams: to the end of the chain's handshake)")
                .tag("result", result).publishPercentileHistogram().register(registry);
    }

    private Timer dnsTimer(String result) {
        return Timer.builder("ferry.dns.resolution.duration")
                .description("Resolving a CONNECT target's name")
                .tag("result", result).publishPercentileHistogram().register(registry);
    }

    private static String commandTag(Command command) {
        if (command == null) {
            return "unknown";
        }
        switch (command) {
            case CONNECT:
                return "connect";
            case BIND:
                return "bind";
            default:
                return "udp";
        }
    }

    /** The meters of one bound listener, registered on first use. */
    public ListenerMeters listener(InetSocketAddress bound) {
        ListenerMeters meters = listeners.get(bound);
        if (meters == null) {
            meters = listeners.computeIfAbsent(bound,
                    address -> new ListenerMeters(registry, NetUtil.toSocketAddressString(address)));
        }
        return meters;
    }

    void handshake(UserMeters user, Command command, HandshakeOutcome outcome, long acceptedNanos) {
        user.handshakes[indexOf(command)][outcome.ordinal()].increment();
        if (outcome == HandshakeOutcome.SUCCEEDED) {
            handshakeTime.record(System.nanoTime() - acceptedNanos, TimeUnit.NANOSECONDS);
        }
    }

    private static int indexOf(Command command) {
        for (int i = 0; i < COMMANDS.length - 1; i++) {
            if (COMMANDS[i] == command) {
                return i;
            }
        }
        return COMMANDS.length - 1;
    }

    void versionDetected(SocksVersion version) {
        (version == null ? notSocks : version == SocksVersion.SOCKS5 ? socks5 : socks4).increment();
    }

    void recordConnect(long startNanos, boolean ok) {
        (ok ? connectOk : connectFailed).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    void recordDns(long startNanos, boolean ok) {
        (ok ? dnsOk : dnsFailed).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    AtomicLong tunnels() {
        return tunnels;
    }

    /** Counts a tunnel as ended when its client's channel closes; one listener for all tunnels. */
    ChannelFutureListener tunnelClosed() {
        return tunnelClosed;
    }

    /**
     * The meters that may carry a {@code user} tag: handshakes by command and outcome (all
     * combinations registered at once, at 0) and the bytes relayed each way.
     */
    static final class UserMeters {
        final Counter[][] handshakes = new Counter[COMMANDS.length][OUTCOMES.length];
        final LongAdder clientToTarget = new LongAdder();
        final LongAdder targetToClient = new LongAdder();

        UserMeters(MeterRegistry registry, Tags user) {
            FunctionCounter.builder("ferry.relayed.bytes", clientToTarget, LongAdder::sum)
                    .description("Bytes relayed through TCP tunnels (CONNECT and BIND)")
                    .tags(user).tag("direction", "client_to_target").register(registry);
            FunctionCounter.builder("ferry.relayed.bytes", targetToClient, LongAdder::sum)
                    .description("Bytes relayed through TCP tunnels (CONNECT and BIND)")
                    .tags(user).tag("direction", "target_to_client").register(registry);
            for (int c = 0; c < COMMANDS.length; c++) {
                for (int o = 0; o < OUTCOMES.length; o++) {
                    handshakes[c][o] = Counter.builder("ferry.handshakes")
                            .description("Handshakes by command and outcome, counted when the first reply is sent")
                            .tags(user).tag("command", commandTag(COMMANDS[c])).tag("outcome", OUTCOMES[o].tag())
                            .register(registry);
                }
            }
        }
    }

    /** Accepted and active connections of one listener, tagged {@code listener="HOST:PORT"}. */
    public static final class ListenerMeters {
        private final Counter accepted;
        private final AtomicLong active = new AtomicLong();
        /** Added to each client's close future: one listener for the listener's lifetime, not one per connection. */
        private final ChannelFutureListener onClose = closed -> closed();

        ListenerMeters(MeterRegistry registry, String listener) {
            accepted = Counter.builder("ferry.connections.accepted")
                    .description("Connections accepted, by listener").tag("listener", listener).register(registry);
            Gauge.builder("ferry.connections.active", active, AtomicLong::get)
                    .description("Client connections open now, by listener").tag("listener", listener)
                    .register(registry);
        }

        void opened() {
            accepted.increment();
            active.incrementAndGet();
        }

        void closed() {
            active.decrementAndGet();
        }

        ChannelFutureListener onClose() {
            return onClose;
        }
    }
}
