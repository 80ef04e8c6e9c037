package dev.ferryproxy.app.config;

import dev.ferryproxy.app.AccessLog;
import dev.ferryproxy.app.LogFormat;
import dev.ferryproxy.auth.LoginThrottle;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.connect.Upstream;
import dev.ferryproxy.limits.ClusterSettings;
import dev.ferryproxy.limits.LimitsPolicy;
import dev.ferryproxy.policy.PortRange;
import dev.ferryproxy.policy.Rule;
import dev.ferryproxy.proxyprotocol.ProxyProtocolSettings;
import dev.ferryproxy.relay.RelayMode;
import dev.ferryproxy.transport.TransportKind;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a configuration file says. A setting the file leaves out is null here, so that the command
 * line and then the built-in defaults can fill it; the users and the rules are empty instead.
 *
 * @param source the file, null for {@link #empty()}
 * @param listeners {@code listen}
 * @param handshakeTimeout {@code timeouts.handshake}
 * @param connectTimeout {@code timeouts.connect}
 * @param dnsServers {@code dns.servers}
 * @param dnsQueryTimeout {@code dns.queryTimeout}
 * @param transport {@code transport}
 * @param workerThreads {@code workerThreads}
 * @param allowOpenProxy {@code allowOpenProxy}
 * @param bind the {@code bind} section
 * @param udp the {@code udp} section
 * @param advertisedAddress {@code advertisedAddress}
 * @param admin {@code admin}: the address of the metrics and health listener
 * @param drain the {@code drain} section
 * @param metrics the {@code metrics} section
 * @param accessLog {@code accessLog}: stdout, off, or a file (resolved against the file's directory)
 * @param auth the {@code auth} section
 * @param upstreams {@code upstreams}, by name; empty when there are none
 * @param rules {@code rules}, in order; empty when there are none
 * @param proxyProtocol {@code proxyProtocol}, by listener address; empty when there are none
 * @param idleTimeout {@code idleTimeout}: a tunnel with no byte either way for this long is closed (0: never)
 * @param relay {@code relay}: auto, splice or buffer
 * @param admission the {@code admission} section: the limits on what clients hold at once
 * @param logFormat {@code logFormat}: text or json, for the server log (not the access log)
 * @param limits the {@code limits} section: per-user and per-network limits; {@link LimitsPolicy#NONE} when not given
 * @param cluster the {@code cluster} section: the store the limits are shared through; null when not given
 */
public record FerryConfig(
        Path source,
        List<InetSocketAddress> listeners,
        Duration handshakeTimeout,
        Duration connectTimeout,
        List<InetSocketAddress> dnsServers,
        Duration dnsQueryTimeout,
        TransportKind transport,
        Integer workerThreads,
        Boolean allowOpenProxy,
        Bind bind,
        Udp udp,
        InetAddress advertisedAddress,
        InetSocketAddress admin,
        Drain drain,
        Metrics metrics,
        AccessLog accessLog,
        Auth auth,
        Map<String, Upstream> upstreams,
        List<Rule> rules,
        Map<InetSocketAddress, ProxyProtocolSettings> proxyProtocol,
        Duration idleTimeout,
        RelayMode relay,
        Admission admission,
        LogFormat logFormat,
        LimitsPolicy limits,
        ClusterSettings cluster) {

    /**
     * The {@code auth} section.
     *
     * @param required {@code auth.required}; null to require passwords exactly when a user is configured
     * @param requiredNode where {@code required} was given, for an error that names it; null when not given
     * @param users the users of {@code auth.usersFile} and {@code auth.users}, together
     * @param usersFile {@code auth.usersFile}, resolved against the configuration file's directory
     * @param closeConnectionsOfRemovedUsers {@code auth.closeConnectionsOfRemovedUsers}
     * @param throttle {@code auth.throttle}, missing keys filled from the defaults; null when not given
     * @param cacheTtl {@code auth.cacheTtl}: how long a verified password skips bcrypt; null when not given
     */
    public record Auth(Boolean required, ConfigNode requiredNode, UserDirectory users, Path usersFile,
            Boolean closeConnectionsOfRemovedUsers, LoginThrottle.Settings throttle, Duration cacheTtl) {
        public static final Auth NONE = new Auth(null, null, UserDirectory.empty(), null, null, null, null);

        public Auth {
            Objects.requireNonNull(users, "users");
        }
    }

    /**
     * The {@code bind} section; each key null when not given.
     *
     * @param enabled {@code bind.enabled}
     * @param ports {@code bind.ports}
     * @param timeout {@code bind.timeout}: how long a BIND waits for its incoming connection
     */
    public record Bind(Boolean enabled, PortRange ports, Duration timeout) {
        public static final Bind NONE = new Bind(null, null, null);
    }

    /**
     * The {@code admission} section; each key null when not given (then derived from the
     * descriptor limit, see {@link dev.ferryproxy.admission.AdmissionLimits#forDescriptors}).
     */
    public record Admission(Integer maxConnections, Integer maxConnectionsPerClient, Integer maxHandshakesPerClient,
            Integer maxUdpAssociations, Integer maxUdpAssociationsPerClient) {
        public static final Admission NONE = new Admission(null, null, null, null, null);
    }

    /**
     * The {@code udp} section; each key null when not given.
     *
     * @param enabled {@code udp.enabled}
     * @param ports {@code udp.ports}
     * @param idleTimeout {@code udp.idleTimeout}
     * @param maxDatagramBytes {@code udp.maxDatagramBytes}
     * @param maxDestinations {@code udp.maxDestinations}
     * @param maxPacketsPerSecond {@code udp.maxPacketsPerSecond}
     * @param repliesFromAnySource {@code udp.repliesFromAnySource}
     */
    public record Udp(Boolean enabled, PortRange ports, Duration idleTimeout, Integer maxDatagramBytes,
            Integer maxDestinations, Integer maxPacketsPerSecond, Boolean repliesFromAnySource) {
        public static final Udp NONE = new Udp(null, null, null, null, null, null, null);
    }

    /**
     * The {@code drain} section; each key null when not given.
     *
     * @param delay {@code drain.delay}: from SIGTERM (not ready) to the listeners closing
     * @param timeout {@code drain.timeout}: from SIGTERM to closing the connections still open
     */
    public record Drain(Duration delay, Duration timeout) {
        public static final Drain NONE = new Drain(null, null);
    }

    /**
     * The {@code metrics} section; each key null when not given.
     *
     * @param perUserTags {@code metrics.perUserTags}: a {@code user} tag on handshakes and relayed bytes
     * @param maxTaggedUsers {@code metrics.maxTaggedUsers}: users beyond it are tagged {@code _other}
     */
    public record Metrics(Boolean perUserTags, Integer maxTaggedUsers) {
        public static final Metrics NONE = new Metrics(null, null);
    }

    public FerryConfig {
        Objects.requireNonNull(drain, "drain");
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(udp, "udp");
        Objects.requireNonNull(admission, "admission");
        Objects.requireNonNull(limits, "limits");
        listeners = listeners == null ? null : List.copyOf(listeners);
        dnsServers = dnsServers == null ? null : List.copyOf(dnsServers);
        Objects.requireNonNull(auth, "auth");
        upstreams = Collections.unmodifiableMap(new LinkedHashMap<>(upstreams));
        rules = List.copyOf(rules);
        proxyProtocol = Collections.unmodifiableMap(new LinkedHashMap<>(proxyProtocol));
    }

    /** No file: every setting left to the command line and the defaults. */
    public static FerryConfig empty() {
        return empty(null);
    }

    /** A file that sets nothing (empty, or comments only). */
    static FerryConfig empty(Path source) {
        return new FerryConfig(source, null, null, null, null, null, null, null, null, Bind.NONE, Udp.NONE, null,
                null, Drain.NONE, Metrics.NONE, null, Auth.NONE, Map.of(), List.of(), Map.of(), null, null, Admission.NONE,
                null, LimitsPolicy.NONE, null);
    }

    /**
     * The settings a reload does not change, by key (a null value means not set). A running
     * server keeps its listeners, timeouts, DNS, threads and the like until it is restarted.
     */
    public Map<String, Object> restartOnlySettings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("listen", listeners);
        settings.put("timeouts.handshake", handshakeTimeout);
        settings.put("timeouts.connect", connectTimeout);
        settings.put("dns.servers", dnsServers);
        settings.put("dns.queryTimeout", dnsQueryTimeout);
        settings.put("transport", transport);
        settings.put("workerThreads", workerThreads);
        settings.put("idleTimeout", idleTimeout);
        settings.put("relay", relay);
        settings.put("allowOpenProxy", allowOpenProxy);
        settings.put("bind", bind);
        settings.put("udp", udp);
        settings.put("admission", admission);
        settings.put("advertisedAddress", advertisedAddress);
        settings.put("admin", admin);
        settings.put("proxyProtocol", proxyProtocol);
        settings.put("drain", drain);
        settings.put("metrics", metrics);
        settings.put("accessLog", accessLog);
        settings.put("logFormat", logFormat);
        settings.put("auth.closeConnectionsOfRemovedUsers", auth.closeConnectionsOfRemovedUsers());
        settings.put("auth.throttle", auth.throttle());
        settings.put("auth.cacheTtl", auth.cacheTtl());
        return settings;
    }
}
