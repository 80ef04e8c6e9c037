package dev.ferryproxy.server;

import dev.ferryproxy.transport.TransportKind;
import dev.ferryproxy.admission.AdmissionLimits;
import dev.ferryproxy.limits.ClusterSettings;
import dev.ferryproxy.limits.LimitsPolicy;
import dev.ferryproxy.accesslog.AccessLogEntry;
import dev.ferryproxy.accesslog.AccessLogSink;
import dev.ferryproxy.auth.LoginThrottle;
import dev.ferryproxy.bind.BindSettings;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.metrics.MetricsSettings;
import dev.ferryproxy.proxyprotocol.ProxyProtocolSettings;
import dev.ferryproxy.relay.RelayMode;
import dev.ferryproxy.udp.UdpSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a {@link ProxyServer} is started with: immutable, validated when built.
 *
 * @param listeners the addresses to accept SOCKS clients on (port 0 picks a free port)
 * @param handshakeTimeout the most a client may take from connecting to a complete request
 * @param connectTimeout the most one connection attempt to a target may take
 * @param dnsQueryTimeout the most one DNS query may take
 * @param dnsServers the name servers to ask; empty for the system's (/etc/resolv.conf)
 * @param transport the I/O transport
 * @param workerThreads event loop threads; 0 for one per core
 * @param writeBufferLowWaterMarkBytes a channel whose outbound queue falls below this becomes writable again
 * @param writeBufferHighWaterMarkBytes a channel whose outbound queue passes this stops its peer from reading
 * @param policy users, password requirement and access rules (a reload replaces them)
 * @param loginThrottle how failed logins slow down and lock out a client address
 * @param authThreads threads that check passwords, off the event loops
 * @param authCacheTtl how long a password that passed a full (bcrypt) check is answered without one;
 *     zero for never (see {@link dev.ferryproxy.auth.VerifiedCredentialCache})
 * @param allowOpenProxy serve on a non-loopback address with neither passwords nor client rules
 * @param closeConnectionsOfRemovedUsers whether a reload that removes a user ends that user's connections
 * @param bind whether and how BIND is served (off by default)
 * @param udp whether and how UDP ASSOCIATE is served (on by default)
 * @param advertisedAddress the address BIND and UDP ASSOCIATE replies give clients in place of
 *     the server's own (behind NAT, in containers, behind a load balancer); {@code null} for the
 *     local address of each client's connection
 * @param meterRegistry where the server's meters go (see docs/metrics.md); {@code null} for nowhere
 * @param proxyProtocol PROXY protocol settings per listener, keyed by the listener's address as
 *     given in {@code listeners}; a listener not in the map has it off
 * @param accessLog where one {@link AccessLogEntry} per request goes when its connection ends;
 *     {@code null} (the default) for nowhere
 * @param metrics optional parts of the meters (per-user tags, off by default); {@code null} for the defaults
 * @param idleTimeout a tunnel (CONNECT or BIND) with no byte either way for this long is closed;
 *     zero (the default) for never
 * @param relay how tunnels carry their bytes: kernel splice, buffers, or whichever measured faster
 * @param admission how many connections, handshakes and UDP associations may be held at once, in
 *     all and per client (defaults from the descriptor limit: {@link AdmissionLimits#forThisProcess()})
 * @param limits the per-user and per-network limits on tunnels (none by default); a reload can change them
 * @param cluster the store that makes {@code limits} fleet-wide, {@code null} (the default) for
 *     limits kept by this server alone
 */
public record ProxyServerConfig(
        List<InetSocketAddress> listeners,
        Duration handshakeTimeout,
        Duration connectTimeout,
        Duration dnsQueryTimeout,
        List<InetSocketAddress> dnsServers,
        TransportKind transport,
        int workerThreads,
        int writeBufferLowWaterMarkBytes,
        int writeBufferHighWaterMarkBytes,
        ProxyPolicy policy,
        LoginThrottle.Settings loginThrottle,
        int authThreads,
        Duration authCacheTtl,
        boolean allowOpenProxy,
        boolean closeConnectionsOfRemovedUsers,
        BindSettings bind,
        UdpSettings udp,
        InetAddress advertisedAddress,
        MeterRegistry meterRegistry,
        Map<InetSocketAddress, ProxyProtocolSettings> proxyProtocol,
        AccessLogSink accessLog,
        MetricsSettings metrics,
        Duration idleTimeout,
        RelayMode relay,
        AdmissionLimits admission,
        LimitsPolicy limits,
        ClusterSettings cluster) {

    public static final int DEFAULT_PORT = 1080;
    /**
     * As long as a browser session's bursts of connections, short enough that a password changed
     * or removed elsewhere (a reload drops the cache at once) stops working soon after.
     */
    public static final Duration DEFAULT_AUTH_CACHE_TTL = Duration.ofMinutes(5);

    public ProxyServerConfig {
        listeners = List.copyOf(listeners);
        dnsServers = List.copyOf(dnsServers);
        Objects.requireNonNull(transport, "transport");
        if (listeners.isEmpty()) {
            throw new IllegalArgumentException("listeners: none (expected: at least one address)");
        }
        requirePositive("handshakeTimeout", handshakeTimeout);
        requirePositive("connectTimeout", connectTimeout);
        requirePositive("dnsQueryTimeout", dnsQueryTimeout);
        if (workerThreads < 0) {
            throw new IllegalArgumentException("workerThreads: " + workerThreads + " (expected: >= 0)");
        }
        if (writeBufferLowWaterMarkBytes <= 0 || writeBufferHighWaterMarkBytes < writeBufferLowWaterMarkBytes) {
            throw new IllegalArgumentException("write buffer water marks: low " + writeBufferLowWaterMarkBytes
                    + ", high " + writeBufferHighWaterMarkBytes + " (expected: 0 < low <= high)");
        }
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(loginThrottle, "loginThrottle");
        if (authThreads < 1) {
            throw new IllegalArgumentException("authThreads: " + authThreads + " (expected: >= 1)");
        }
        Objects.requireNonNull(authCacheTtl, "authCacheTtl");
        if (authCacheTtl.isNegative()) {
            throw new IllegalArgumentException("authCacheTtl: " + authCacheTtl + " (expected: >= 0, 0 for none)");
        }
        metrics = metrics != null ? metrics : MetricsSettings.DEFAULT;
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: >= 0, 0 for none)");
        }
        Objects.requireNonNull(relay, "relay");
        Objects.requireNonNull(admission, "admission");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(udp, "udp");
        if (advertisedAddress != null && advertisedAddress.isAnyLocalAddress()) {
            throw new IllegalArgumentException("advertisedAddress: " + advertisedAddress.getHostAddress()
                    + " is the wildcard address, which no client can reach (expected: an address clients can reach)");
        }
        proxyProtocol = Map.copyOf(proxyProtocol);
        for (InetSocketAddress listener : proxyProtocol.keySet()) {
            if (!listeners.contains(listener)) {
                throw new IllegalArgumentException("proxyProtocol: " + NetUtil.toSocketAddressString(listener)
                        + " is not one of the listeners " + listeners);
            }
        }
        checkNotAnOpenProxy(listeners, policy, allowOpenProxy);
    }

    /** The PROXY protocol settings of {@code listener} (as given in {@link #listeners()}). */
    public ProxyProtocolSettings proxyProtocolFor(InetSocketAddress listener) {
        return proxyProtocol.getOrDefault(listener, ProxyProtocolSettings.OFF);
    }

    /**
     * Refuses a policy that would make an open proxy: a listener off loopback, no password, no
     * rule on client addresses, and no explicit permission.
     *
     * @throws IllegalArgumentException saying which listener and how to allow it on purpose
     */
    public static void checkNotAnOpenProxy(List<InetSocketAddress> listeners, ProxyPolicy policy, boolean allowOpenProxy) {
        // The rules that will really apply: with none configured, the defaults let any client out.
        if (allowOpenProxy || policy.passwordRequired() || policy.effectiveRules().restrictsClients()) {
            return;
        }
        for (InetSocketAddress listener : listeners) {
            if (!listener.getAddress().isLoopbackAddress()) {
                throw new IllegalArgumentException("refusing to run an open proxy: " + NetUtil.toSocketAddressString(listener)
                        + " is not a loopback address, and neither a password nor a rule on client addresses limits"
                        + " who may use it. Require a password (--user NAME:PASSWORD, or auth.users / auth.usersFile"
                        + " in the configuration), or add a rule with 'clients:', or, if an open proxy is what you"
                        + " want, pass --allow-open-proxy (configuration: allowOpenProxy: true).");
            }
        }
    }

    private static void requirePositive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
    }

    /** This configuration with its meters going to {@code registry}. */
    public ProxyServerConfig withMeterRegistry(MeterRegistry registry) {
        return new ProxyServerConfig(listeners, handshakeTimeout, connectTimeout, dnsQueryTimeout, dnsServers, transport,
                workerThreads, writeBufferLowWaterMarkBytes, writeBufferHighWaterMarkBytes, policy, loginThrottle,
                authThreads, authCacheTtl, allowOpenProxy, closeConnectionsOfRemovedUsers, bind, udp, advertisedAddress, registry,
                proxyProtocol, accessLog, metrics, idleTimeout, relay, admission, limits, cluster);
    }

    /** This configuration with its access log going to {@code sink} ({@code null}: nowhere). */
    public ProxyServerConfig withAccessLog(AccessLogSink sink) {
        return new ProxyServerConfig(listeners, handshakeTimeout, connectTimeout, dnsQueryTimeout, dnsServers, transport,
                workerThreads, writeBufferLowWaterMarkBytes, writeBufferHighWaterMarkBytes, policy, loginThrottle,
                authThreads, authCacheTtl, allowOpenProxy, closeConnectionsOfRemovedUsers, bind, udp, advertisedAddress, meterRegistry,
                proxyProtocol, sink, metrics, idleTimeout, relay, admission, limits, cluster);
    }

    /** This configuration with these optional parts of the meters (per-user tags). */
    public ProxyServerConfig withMetrics(MetricsSettings settings) {
        return new ProxyServerConfig(listeners, handshakeTimeout, connectTimeout, dnsQueryTimeout, dnsServers, transport,
                workerThreads, writeBufferLowWaterMarkBytes, writeBufferHighWaterMarkBytes, policy, loginThrottle,
                authThreads, authCacheTtl, allowOpenProxy, closeConnectionsOfRemovedUsers, bind, udp, advertisedAddress, meterRegistry,
                proxyProtocol, accessLog, settings, idleTimeout, relay, admission, limits, cluster);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder with the defaults: 127.0.0.1:1080, 10 s handshake and connect timeouts. */
    public static final class Builder {
        private final List<InetSocketAddress> listeners = new ArrayList<>();
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration dnsQueryTimeout = Duration.ofSeconds(5);
        private List<InetSocketAddress> dnsServers = List.of();
        private TransportKind transport = TransportKind.AUTO;
        private int workerThreads;
        private int writeBufferLowWaterMarkBytes = 32 * 1024;
        private int writeBufferHighWaterMarkBytes = 64 * 1024;
        private ProxyPolicy policy = ProxyPolicy.open();
        private LoginThrottle.Settings loginThrottle = LoginThrottle.Settings.DEFAULT;
        private int authThreads = 2;
        private Duration authCacheTtl = DEFAULT_AUTH_CACHE_TTL;
        private boolean allowOpenProxy;
        private boolean closeConnectionsOfRemovedUsers;
        private BindSettings bind = BindSettings.DEFAULT;
        private UdpSettings udp = UdpSettings.DEFAULT;
        private InetAddress advertisedAddress;
        private MeterRegistry meterRegistry;
        private final Map<InetSocketAddress, ProxyProtocolSettings> proxyProtocol = new LinkedHashMap<>();
        private AccessLogSink accessLog;
        private MetricsSettings metrics = MetricsSettings.DEFAULT;
        private Duration idleTimeout = Duration.ZERO;
        private RelayMode relay = RelayMode.AUTO;
        /** Null until set: the default is read from the descriptor limit at build time. */
        private AdmissionLimits admission;
        private LimitsPolicy limits = LimitsPolicy.NONE;
        private ClusterSettings cluster;

        private Builder() {
        }

        /** Adds a listener; without any the server listens on 127.0.0.1:1080. */
        public Builder listen(InetSocketAddress address) {
            listeners.add(Objects.requireNonNull(address, "address"));
            return this;
        }

        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = timeout;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        public Builder dnsQueryTimeout(Duration timeout) {
            this.dnsQueryTimeout = timeout;
            return this;
        }

        public Builder dnsServers(List<InetSocketAddress> servers) {
            this.dnsServers = servers;
            return this;
        }

        public Builder transport(TransportKind kind) {
            this.transport = kind;
            return this;
        }

        public Builder workerThreads(int threads) {
            this.workerThreads = threads;
            return this;
        }

        public Builder writeBufferWaterMarks(int lowBytes, int highBytes) {
            this.writeBufferLowWaterMarkBytes = lowBytes;
            this.writeBufferHighWaterMarkBytes = highBytes;
            return this;
        }

        public Builder policy(ProxyPolicy policy) {
            this.policy = policy;
            return this;
        }

        public Builder loginThrottle(LoginThrottle.Settings settings) {
            this.loginThrottle = settings;
            return this;
        }

        public Builder authThreads(int threads) {
            this.authThreads = threads;
            return this;
        }

        public Builder authCacheTtl(Duration ttl) {
            this.authCacheTtl = ttl;
            return this;
        }

        public Builder allowOpenProxy(boolean allow) {
            this.allowOpenProxy = allow;
            return this;
        }

        public Builder closeConnectionsOfRemovedUsers(boolean close) {
            this.closeConnectionsOfRemovedUsers = close;
            return this;
        }

        public Builder bind(BindSettings settings) {
            this.bind = settings;
            return this;
        }

        public Builder udp(UdpSettings settings) {
            this.udp = settings;
            return this;
        }

        /** The address BIND and UDP ASSOCIATE replies advertise; null for each connection's local address. */
        public Builder advertisedAddress(InetAddress address) {
            this.advertisedAddress = address;
            return this;
        }

        /** Where the server's meters go; null (the default) for nowhere. */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = registry;
            return this;
        }

        /** Adds a listener with PROXY protocol settings of its own. */
        public Builder listen(InetSocketAddress address, ProxyProtocolSettings settings) {
            listen(address);
            return proxyProtocol(address, settings);
        }

        /** Sets the PROXY protocol settings of a listener (which must also be added with {@link #listen}). */
        public Builder proxyProtocol(InetSocketAddress listener, ProxyProtocolSettings settings) {
            proxyProtocol.put(Objects.requireNonNull(listener, "listener"), Objects.requireNonNull(settings, "settings"));
            return this;
        }

        /** Where each request's access-log entry goes when its connection ends; null (the default) for nowhere. */
        public Builder accessLog(AccessLogSink sink) {
            this.accessLog = sink;
            return this;
        }

        /** Optional parts of the meters: per-user tags (off by default). */
        public Builder metrics(MetricsSettings settings) {
            this.metrics = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /** Closes a tunnel with no byte either way for this long; zero (the default) for never. */
        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = timeout;
            return this;
        }

        /** How tunnels carry their bytes (default: {@link RelayMode#AUTO}). */
        public Builder relay(RelayMode mode) {
            this.relay = mode;
            return this;
        }

        public Builder admission(AdmissionLimits limits) {
            this.admission = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /** The per-user and per-network limits on tunnels. */
        public Builder limits(LimitsPolicy policy) {
            this.limits = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** The store that makes the limits fleet-wide; {@code null} (the default) for this server alone. */
        public Builder cluster(ClusterSettings settings) {
            this.cluster = settings;
            return this;
        }

        public ProxyServerConfig build() {
            List<InetSocketAddress> effective = listeners.isEmpty()
                    ? List.of(new InetSocketAddress("127.0.0.1", DEFAULT_PORT))
                    : listeners;
            return new ProxyServerConfig(effective, handshakeTimeout, connectTimeout, dnsQueryTimeout, dnsServers,
                    transport, workerThreads, writeBufferLowWaterMarkBytes, writeBufferHighWaterMarkBytes, policy,
                    loginThrottle, authThreads, authCacheTtl, allowOpenProxy, closeConnectionsOfRemovedUsers, bind, udp,
                    advertisedAddress, meterRegistry, proxyProtocol, accessLog, metrics, idleTimeout, relay,
                    admission != null ? admission : AdmissionLimits.forThisProcess(), limits, cluster);
        }
    }
}
