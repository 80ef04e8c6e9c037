package dev.ferryproxy.app.config;

import dev.ferryproxy.app.AccessLog;
import dev.ferryproxy.app.Durations;
import dev.ferryproxy.app.HostPort;
import dev.ferryproxy.app.IpAddresses;
import dev.ferryproxy.app.LogFormat;
import dev.ferryproxy.connect.Upstream;
import dev.ferryproxy.limits.LimitsPolicy;
import dev.ferryproxy.relay.RelayMode;
import dev.ferryproxy.transport.TransportKind;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Reads and checks a Ferry configuration file ({@code ferry.yaml}): every key known, every value
 * of the right type and in range, the users file readable. The first problem found ends the
 * reading with a {@link ConfigException} that names the file, line, key and problem.
 */
public final class ConfigFile {
    private static final int MAX_WORKER_THREADS = 4096;

    private ConfigFile() {
    }

    /**
     * @throws ConfigException for the first problem in the file or in its users file
     */
    /** The most users {@code metrics.maxTaggedUsers} may name. */
    static final int MAX_TAGGED_USERS = 10_000;

    public static FerryConfig load(Path path) throws ConfigException {
        Optional<ConfigNode> root = YamlTree.read(path);
        if (root.isEmpty() || root.get().isNull()) {
            return FerryConfig.empty(path);
        }
        ConfigMap top = root.get().asMap("listen", "timeouts", "dns", "transport", "relay", "idleTimeout", "workerThreads",
                "allowOpenProxy", "bind", "udp", "advertisedAddress", "admin", "drain", "metrics", "accessLog", "logFormat", "auth", "upstreams", "rules",
                "proxyProtocol", "admission", "limits", "cluster");

        List<InetSocketAddress> listeners = top.read("listen", node -> node.asListOf(ConfigFile::address, true));
        ConfigMap timeouts = top.read("timeouts", node -> node.asMap("handshake", "connect"));
        ConfigMap dns = top.read("dns", node -> node.asMap("servers", "queryTimeout"));
        TransportKind transport = top.read("transport", node -> node.as(ConfigFile::transport));
        Integer workerThreads = top.read("workerThreads", node -> node.asInt(0, MAX_WORKER_THREADS));
        Boolean allowOpenProxy = top.read("allowOpenProxy", ConfigNode::asBoolean);
        ConfigMap drain = top.read("drain", node -> node.asMap("delay", "timeout"));
        ConfigMap metrics = top.read("metrics", node -> node.asMap("perUserTags", "maxTaggedUsers"));
        AccessLog accessLog = top.read("accessLog", node -> node.as(AccessLog::parse));
        if (accessLog != null && accessLog.path() != null) {
            accessLog = AccessLog.file(directoryOf(path).resolve(accessLog.path()));
        }
        FerryConfig.Auth auth = top.get("auth").isPresent()
                ? AuthSection.read(top.get("auth").get(), directoryOf(path))
                : FerryConfig.Auth.NONE;
        Map<String, Upstream> upstreams = top.get("upstreams").isPresent()
                ? UpstreamsSection.read(top.get("upstreams").get()) : Map.of();
        return new FerryConfig(path,
                listeners,
                timeouts == null ? null : timeouts.read("handshake", ConfigFile::positiveDuration),
                timeouts == null ? null : timeouts.read("connect", ConfigFile::positiveDuration),
                dns == null ? null : dns.read("servers", node -> node.asListOf(ConfigFile::address, false)),
                dns == null ? null : dns.read("queryTimeout", ConfigFile::positiveDuration),
                transport,
                workerThreads,
                allowOpenProxy,
                top.get("bind").isPresent() ? CommandsSection.bind(top.get("bind").get()) : FerryConfig.Bind.NONE,
                top.get("udp").isPresent() ? CommandsSection.udp(top.get("udp").get()) : FerryConfig.Udp.NONE,
                top.read("advertisedAddress", node -> node.as(IpAddresses::parse)),
                top.read("admin", ConfigFile::address),
                drain == null ? FerryConfig.Drain.NONE : new FerryConfig.Drain(
                        drain.read("delay", ConfigFile::nonNegativeDuration),
                        drain.read("timeout", ConfigFile::positiveDuration)),
                metrics == null ? FerryConfig.Metrics.NONE : new FerryConfig.Metrics(
                        metrics.read("perUserTags", ConfigNode::asBoolean),
                        metrics.read("maxTaggedUsers", node -> node.asInt(1, MAX_TAGGED_USERS))),
                accessLog,
                auth,
                upstreams,
                top.get("rules").isPresent() ? RulesSection.read(top.get("rules").get(), upstreams.keySet()) : List.of(),
                top.get("proxyProtocol").isPresent()
                        ? ProxyProtocolSection.read(top.get("proxyProtocol").get(), listeners) : Map.of(),
                top.read("idleTimeout", ConfigFile::nonNegativeDuration),
                top.read("relay", node -> node.as(ConfigFile::relay)),
                top.get("admission").isPresent() ? admission(top.get("admission").get()) : FerryConfig.Admission.NONE,
                top.read("logFormat", node -> node.as(LogFormat::parse)),
                top.get("limits").isPresent() ? LimitsSection.read(top.get("limits").get()) : LimitsPolicy.NONE,
                top.get("cluster").isPresent()
                        ? ClusterSection.read(top.get("cluster").get(), directoryOf(path), System.getenv()) : null);
    }

    /** The most any admission limit may be: more descriptors than a kernel gives one process. */
    private static final int MAX_ADMISSION_LIMIT = 100_000_000;

    private static FerryConfig.Admission admission(ConfigNode node) throws ConfigException {
        ConfigMap admission = node.asMap("maxConnections", "maxConnectionsPerClient", "maxHandshakesPerClient",
                "maxUdpAssociations", "maxUdpAssociationsPerClient");
        return new FerryConfig.Admission(
                admission.read("maxConnections", value -> value.asInt(1, MAX_ADMISSION_LIMIT)),
                admission.read("maxConnectionsPerClient", value -> value.asInt(1, MAX_ADMISSION_LIMIT)),
                admission.read("maxHandshakesPerClient", value -> value.asInt(1, MAX_ADMISSION_LIMIT)),
                admission.read("maxUdpAssociations", value -> value.asInt(1, MAX_ADMISSION_LIMIT)),
                admission.read("maxUdpAssociationsPerClient", value -> value.asInt(1, MAX_ADMISSION_LIMIT)));
    }

    private static InetSocketAddress address(ConfigNode node) throws ConfigException {
        return node.as(HostPort::parse);
    }

    /** Where relative paths in the file start from: the file's own directory. */
    private static Path directoryOf(Path file) {
        return file.getParent() != null ? file.getParent() : Path.of("");
    }

    static Duration positiveDuration(ConfigNode node) throws ConfigException {
        Duration duration = node.as(Durations::parse);
        if (duration.isNegative() || duration.isZero()) {
            throw node.error("'" + node.asString() + "' must be longer than zero");
        }
        return duration;
    }

    static Duration nonNegativeDuration(ConfigNode node) throws ConfigException {
        Duration duration = node.as(Durations::parse);
        if (duration.isNegative()) {
            throw node.error("'" + node.asString() + "' is negative");
        }
        return duration;
    }

    private static RelayMode relay(String text) {
        for (RelayMode mode : RelayMode.values()) {
            if (mode.name().equalsIgnoreCase(text)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a relay (expected one of: auto, splice, buffer)");
    }

    private static TransportKind transport(String text) {
        for (TransportKind kind : TransportKind.values()) {
            if (kind.name().equalsIgnoreCase(text)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a transport (expected one of: "
                + String.join(", ", Stream.of(TransportKind.values())
                        .map(kind -> kind.name().toLowerCase(Locale.ROOT)).toList()) + ")");
    }
}
