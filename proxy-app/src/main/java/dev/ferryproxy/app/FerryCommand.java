package dev.ferryproxy.app;

import ch.qos.logback.classic.Level;
import dev.ferryproxy.admission.AdmissionLimits;
import dev.ferryproxy.app.admin.AdminServer;
import dev.ferryproxy.app.admin.Metering;
import dev.ferryproxy.metrics.MetricsSettings;
import dev.ferryproxy.app.config.ConfigException;
import dev.ferryproxy.app.config.ConfigFile;
import dev.ferryproxy.app.config.FerryConfig;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.policy.EgressGuard;
import dev.ferryproxy.policy.PortRange;
import dev.ferryproxy.proxyprotocol.ProxyProtocolMode;
import dev.ferryproxy.server.HostAddresses;
import dev.ferryproxy.server.ProxyServer;
import dev.ferryproxy.server.ProxyServerConfig;
import dev.ferryproxy.relay.RelayMode;
import dev.ferryproxy.transport.Transport;
import dev.ferryproxy.transport.TransportKind;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.NetUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/** {@code ferry}: serves SOCKS4, SOCKS4a and SOCKS5 until SIGTERM or Ctrl-C. */
@Command(name = "ferry",
        mixinStandardHelpOptions = true,
        versionProvider = FerryVersion.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        subcommands = {PasswdCommand.class, ConnectCommand.class, ForwardCommand.class, CheckCommand.class,
            HealthCommand.class, CompletionCommand.class},
        description = {
            "A SOCKS4, SOCKS4a and SOCKS5 proxy server. With no options it serves without authentication"
                    + " on 127.0.0.1:1080.",
            "Commands: passwd makes a users-file line; connect, forward and check are SOCKS clients; health asks"
                    + " a running server whether it is ready; completion prints a bash completion script."
                    + " 'ferry COMMAND --help' describes each.",
            "SIGTERM or Ctrl-C stops it gracefully (see --drain-delay, --drain-timeout); a second one stops it at once. SIGHUP reloads the users and rules of --config FILE."
                    + " Options given here override the file.",
            "Exit codes: 0 stopped cleanly or --check-config passed; 1 could not start (a port in use, for"
                    + " example); 2 invalid options or configuration."
        },
        footer = {
            "",
            "Documentation: README.md and docs/ in the source tree; man pages in docs/man (man -l docs/man/ferry.1).",
            "Bash completion: source <(ferry completion)"
        })
public final class FerryCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(FerryCommand.class);

    @Spec
    private CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML configuration file (see ferry.example.yaml). SIGHUP reloads its users and rules.")
    private Path configFile;

    @Option(names = "--check-config",
            description = "Check the configuration (the file, its users file, the options) and exit: 0 if valid, 2 if not.")
    private boolean checkConfig;

    @Option(names = "--listen", paramLabel = "HOST:PORT", converter = HostPortConverter.class,
            description = "Address to accept SOCKS clients on; repeatable; replaces the file's listen list."
                    + " IPv6 as [::1]:1080. Default: 127.0.0.1:1080.")
    private List<InetSocketAddress> listeners = new ArrayList<>();

    @Option(names = "--user", paramLabel = "NAME:PASSWORD", converter = UserPasswordConverter.class,
            description = "A user who may log in; repeatable; adds to the file's users and makes passwords required"
                    + " (unless auth.required: false). Other local users can see a command line: prefer a users file.")
    private List<UserPassword> users = new ArrayList<>();

    @Option(names = "--allow-open-proxy",
            description = "Serve on a non-loopback address even with no password and no rule on client addresses.")
    private boolean allowOpenProxy;

    @Option(names = "--allow-bind",
            description = "Serve BIND (off by default: it opens listening ports on this host); rules can limit it further.")
    private boolean allowBind;

    @Option(names = "--no-udp",
            description = "Do not serve UDP ASSOCIATE (on by default); SOCKS5 clients then get 0x07.")
    private boolean noUdp;

    @Option(names = "--advertised-address", paramLabel = "ADDRESS", converter = InetAddressConverter.class,
            description = "The address BIND and UDP ASSOCIATE replies give clients, when they cannot reach the one"
                    + " they connected to (NAT, containers, load balancers). Default: the address the client connected to.")
    private InetAddress advertisedAddress;

    @Option(names = "--admin", paramLabel = "HOST:PORT", converter = HostPortConverter.class,
            description = "Serve /metrics (Prometheus), /health/live and /health/ready over HTTP on this address"
                    + " (default: off). Keep it on loopback or a private network: it has no authentication.")
    private InetSocketAddress admin;

    @Option(names = "--proxy-protocol", paramLabel = "MODE", converter = ProxyProtocolModeConverter.class,
            description = "PROXY protocol v1/v2 header (from a load balancer) on every listener: off, optional or"
                    + " required; replaces the file's proxyProtocol entries (default: off).")
    private ProxyProtocolMode proxyProtocol;

    @Option(names = "--proxy-protocol-trusted", paramLabel = "CIDR", converter = CidrConverter.class,
            description = "A network PROXY protocol headers are accepted from (the load balancers); repeatable;"
                    + " needed with --proxy-protocol optional or required.")
    private List<Cidr> proxyProtocolTrusted = new ArrayList<>();

    @Option(names = "--proxy-protocol-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Most time from connect to a complete PROXY protocol header (default: 5s).")
    private Duration proxyProtocolTimeout;

    @Option(names = "--access-log", paramLabel = "stdout|off|PATH", converter = AccessLogConverter.class,
            description = "Where the access log goes: one JSON line per request when its connection ends"
                    + " (default: stdout).")
    private AccessLog accessLog;

    @Option(names = "--metrics-per-user",
            description = "Tag handshakes and relayed bytes on /metrics with the logged-in user, for at most"
                    + " metrics.maxTaggedUsers users (default 100; the rest are user=\"_other\"). Off by default.")
    private boolean metricsPerUser;

    @Option(names = "--drain-delay", paramLabel = "DURATION", converter = NonNegativeDurationConverter.class,
            description = "On SIGTERM, how long /health/ready answers 503 before the listeners close, so that a load"
                    + " balancer stops sending clients first; 0 closes them at once (default: 5s with --admin, else 0s).")
    private Duration drainDelay;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "On SIGTERM, the most time, counted from the signal, that open connections may run on"
                    + " before they are closed (default: 30s). A second SIGTERM closes them at once.")
    private Duration drainTimeout;

    @Option(names = "--handshake-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Most time from connect to a complete request (default: 10s).")
    private Duration handshakeTimeout;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Most time one connection attempt to a target may take (default: 10s).")
    private Duration connectTimeout;

    @Option(names = "--dns-server", paramLabel = "HOST:PORT", converter = HostPortConverter.class,
            description = "Name server to ask; repeatable; replaces the file's dns.servers. Default: those of /etc/resolv.conf.")
    private List<InetSocketAddress> dnsServers = new ArrayList<>();

    @Option(names = "--transport", paramLabel = "KIND",
            converter = TransportKindConverter.class,
            description = "auto (epoll where it loads, else nio), epoll, io_uring or nio (default: auto).")
    private TransportKind transport;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = NonNegativeDurationConverter.class,
            description = "Close a tunnel after no byte either way for this long; 0 for never (default: 0).")
    private Duration idleTimeout;

    @Option(names = "--relay", paramLabel = "MODE", converter = RelayModeConverter.class,
            description = "How tunnels carry bytes: splice (kernel splice, epoll only), buffer, or auto"
                    + " (the faster here: buffer; see docs/performance.md) (default: auto).")
    private RelayMode relay;

    @Option(names = "--worker-threads", paramLabel = "N",
            description = "Event loop threads; 0 for one per core (default: 0).")
    private Integer workerThreads;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            converter = LogLevelConverter.class,
            description = "error, warn, info, debug or trace (default: ${DEFAULT-VALUE}). debug logs why each rejected connection was rejected.")
    private Level logLevel;

    @Option(names = "--log-format", paramLabel = "text|json", converter = LogFormatConverter.class,
            completionCandidates = LogFormat.Names.class,
            description = "The server log on standard output: text lines, or one JSON object per line for log"
                    + " pipelines (see docs/logging.md); replaces the file's logFormat (default: text)."
                    + " The access log is JSON either way.")
    private LogFormat logFormat;

    @Override
    public Integer call() throws InterruptedException {
        Logging.setRootLevel(logLevel);
        PrintWriter err = spec.commandLine().getErr();
        FerryConfig file;
        UserDirectory commandLineUsers;
        ProxyServerConfig config;
        try {
            file = configFile != null ? ConfigFile.load(configFile) : FerryConfig.empty();
            // before anything else logs: every server line of this run is in one format
            Logging.useFormat(logFormat != null ? logFormat
                    : file.logFormat() != null ? file.logFormat() : LogFormat.TEXT);
            commandLineUsers = CommandLineUsers.directory(
                    CommandLineUsers.parseEnvironment(System.getenv(CommandLineUsers.ENVIRONMENT_VARIABLE)), users);
            config = EffectiveConfig.serverConfig(file, commandLineSettings(),
                    EffectiveConfig.policy(file, commandLineUsers));
        } catch (ConfigException | IllegalArgumentException e) {
            err.println("ferry: " + e.getMessage());
            err.flush();
            return 2;
        }
        if (checkConfig) {
            PrintWriter out = spec.commandLine().getOut();
            out.println((configFile != null ? configFile.toString() : "command line") + ": OK");
            out.println(EgressGuardText.describe(config.policy(),
                    EgressGuard.withHostAddresses(HostAddresses.ofThisHost())));
            out.println("admission: at most " + config.admission() + "; descriptor limit "
                    + AdmissionLimits.descriptorLimit());
            limitsLines(config).forEach(out::println);
            out.flush();
            return 0;
        }
        if (config.transport() == TransportKind.AUTO && Transport.epollUnavailabilityCause() != null) {
            log.info("native epoll unavailable ({}); using NIO", Transport.epollUnavailabilityCause().toString());
        }
        InetSocketAddress adminAddress = admin != null ? admin : file.admin();
        PrometheusMeterRegistry registry = adminAddress != null ? Metering.prometheusRegistry() : null;
        AccessLog accessLogTo = accessLog != null ? accessLog : file.accessLog() != null ? file.accessLog() : AccessLog.STDOUT;
        ProxyServer server;
        AccessLogWriter accessLogWriter = null;
        try {
            accessLogWriter = accessLogTo.start();
            ProxyServerConfig effective = registry == null ? config : config.withMeterRegistry(registry);
            server = ProxyServer.start(effective.withMetrics(metricsSettings(file.metrics()))
                    .withAccessLog(accessLogWriter));
        } catch (IOException | IllegalStateException e) {
            log.error("Ferry cannot start: {}", e.getMessage());
            if (accessLogWriter != null) {
                accessLogWriter.close();
            }
            return 1;
        }
        AdminServer adminServer = null;
        if (adminAddress != null) {
            try {
                adminServer = AdminServer.start(adminAddress, registry, server::isReady, server.transport());
            } catch (IOException | RuntimeException e) {
                log.error("Ferry cannot start: cannot serve admin on {}: {}",
                        NetUtil.toSocketAddressString(adminAddress), e.toString());
                server.close();
                if (accessLogWriter != null) {
                    accessLogWriter.close();
                }
                return 1;
            }
        }
        StopSignals stop = StopSignals.install();
        ReloadSignal reload = configFile == null ? null
                : ReloadSignal.install(new ConfigReloader(configFile, file, commandLineUsers, server, registry)::reload);
        log.info("Ferry {} listening on {} (SOCKS4, SOCKS4a, SOCKS5; transport {})", FerryVersion.version(),
                server.boundAddresses().stream().map(NetUtil::toSocketAddressString).collect(Collectors.joining(", ")),
                server.transport());
        logPolicy(config.policy());
        log.info("admission: at most {}; descriptor limit {}", config.admission(), AdmissionLimits.descriptorLimit());
        limitsLines(config).forEach(log::info);
        log.info(EgressGuardText.describe(config.policy(), server.policy().rules().guard()));
        logCommands(config);
        log.info("access log: {}", accessLogTo);
        if (adminServer != null) {
            log.info("admin listening on {} (/metrics, /health/live, /health/ready)",
                    NetUtil.toSocketAddressString(adminServer.address()));
        }
        logProxyProtocol(config);
        String signal = stop.await();
        log.info("Ferry stopping on {}", signal);
        if (reload != null) {
            reload.close();
        }
        Duration delay = drainDelay != null ? drainDelay
                : file.drain().delay() != null ? file.drain().delay()
                : adminServer != null ? DEFAULT_DRAIN_DELAY : Duration.ZERO;
        Duration timeout = drainTimeout != null ? drainTimeout
                : file.drain().timeout() != null ? file.drain().timeout() : DEFAULT_DRAIN_TIMEOUT;
        CompletableFuture<?> drained = server.drain(delay, timeout).toCompletableFuture();
        Object first = CompletableFuture.anyOf(drained, stop.second()).join();
        if (first instanceof String again) {
            log.info("{} again: ending the drain now", again);
        }
        if (adminServer != null) {
            adminServer.close();
        }
        server.close();
        if (accessLogWriter != null) {
            // After the server: the last connections' entries are queued by then.
            accessLogWriter.close();
        }
        log.info("Ferry stopped");
        return 0;
    }

    /** Per-user tags: on with --metrics-per-user or metrics.perUserTags; the bound from the file or 100. */
    private MetricsSettings metricsSettings(FerryConfig.Metrics fromFile) {
        boolean on = metricsPerUser || Boolean.TRUE.equals(fromFile.perUserTags());
        int bound = fromFile.maxTaggedUsers() != null ? fromFile.maxTaggedUsers()
                : MetricsSettings.DEFAULT.maxTaggedUsers();
        return new MetricsSettings(on, bound);
    }

    /** Without an admin listener no readiness check can see the drain, so the listeners close at once. */
    static final Duration DEFAULT_DRAIN_DELAY = Duration.ofSeconds(5);
    static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);

    private CommandLineSettings commandLineSettings() {
        return new CommandLineSettings(listeners, handshakeTimeout, connectTimeout, dnsServers, transport,
                workerThreads, allowOpenProxy, allowBind, noUdp, advertisedAddress, proxyProtocol, proxyProtocolTrusted,
                proxyProtocolTimeout, idleTimeout, relay);
    }

    private static void logCommands(ProxyServerConfig config) {
        log.info("commands: CONNECT; BIND {}; UDP ASSOCIATE {}{}",
                config.bind().enabled() ? "on (ports " + portsText(config.bind().ports()) + ", waits "
                        + config.bind().acceptTimeout().toSeconds() + "s)" : "off (--allow-bind turns it on)",
                config.udp().enabled() ? "on (ports " + portsText(config.udp().ports()) + ")" : "off",
                config.advertisedAddress() == null ? ""
                        : "; replies advertise " + config.advertisedAddress().getHostAddress());
    }

    private static void logProxyProtocol(ProxyServerConfig config) {
        config.proxyProtocol().forEach((listener, settings) -> log.info(
                "PROXY protocol {} on {} from {} (header within {} ms)", settings.mode(),
                NetUtil.toSocketAddressString(listener), settings.trustedSources(), settings.headerTimeout().toMillis()));
    }

    private static String portsText(PortRange ports) {
        return ports == null ? "any" : ports.toString();
    }

    private void logPolicy(ProxyPolicy policy) {
        int userCount = policy.users().names().size();
        int ruleCount = policy.rules().rules().size();
        log.info("{} user(s), passwords {}; {}{}{}", userCount,
                policy.passwordRequired() ? "required" : userCount > 0 ? "optional" : "not used",
                ruleCount > 0 ? ruleCount + " rule(s)" : "default rules",
                policy.upstreams().isEmpty() ? "" : "; upstreams: " + policy.upstreams().values(),
                configFile != null ? "; configuration from " + configFile + " (SIGHUP reloads users and rules)" : "");
    }

    static final class ProxyProtocolModeConverter implements ITypeConverter<ProxyProtocolMode> {
        @Override
        public ProxyProtocolMode convert(String value) {
            try {
                return ProxyProtocolMode.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class CidrConverter implements ITypeConverter<Cidr> {
        @Override
        public Cidr convert(String value) {
            try {
                return Cidr.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class InetAddressConverter implements ITypeConverter<InetAddress> {
        @Override
        public InetAddress convert(String value) {
            try {
                return IpAddresses.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class UserPasswordConverter implements ITypeConverter<UserPassword> {
        @Override
        public UserPassword convert(String value) {
            try {
                return UserPassword.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class HostPortConverter implements ITypeConverter<InetSocketAddress> {
        @Override
        public InetSocketAddress convert(String value) {
            try {
                return HostPort.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                Duration duration = Durations.parse(value);
                if (duration.isNegative() || duration.isZero()) {
                    throw new TypeConversionException("'" + value + "' must be longer than zero");
                }
                return duration;
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class AccessLogConverter implements ITypeConverter<AccessLog> {
        @Override
        public AccessLog convert(String value) {
            try {
                return AccessLog.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class NonNegativeDurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                Duration duration = Durations.parse(value);
                if (duration.isNegative()) {
                    throw new TypeConversionException("'" + value + "' is negative");
                }
                return duration;
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class TransportKindConverter implements ITypeConverter<TransportKind> {
        @Override
        public TransportKind convert(String value) {
            for (TransportKind kind : TransportKind.values()) {
                if (kind.name().equalsIgnoreCase(value)) {
                    return kind;
                }
            }
            throw new TypeConversionException("'" + value + "' is not a transport (expected: auto, epoll, io_uring or nio)");
        }
    }

    static final class RelayModeConverter implements ITypeConverter<RelayMode> {
        @Override
        public RelayMode convert(String value) {
            for (RelayMode mode : RelayMode.values()) {
                if (mode.name().equalsIgnoreCase(value)) {
                    return mode;
                }
            }
            throw new TypeConversionException("'" + value + "' is not a relay (expected: auto, splice or buffer)");
        }
    }

    static final class LogFormatConverter implements ITypeConverter<LogFormat> {
        @Override
        public LogFormat convert(String value) {
            try {
                return LogFormat.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class LogLevelConverter implements ITypeConverter<Level> {
        @Override
        public Level convert(String value) {
            Level level = Level.toLevel(value, null);
            if (level == null) {
                throw new TypeConversionException("'" + value + "' is not a log level (expected: error, warn, info, debug or trace)");
            }
            return level;
        }
    }

    /** What the start-up log and --check-config say of the limits: one line per limit, and the store. */
    static List<String> limitsLines(ProxyServerConfig config) {
        List<String> lines = new ArrayList<>();
        List<String> limits = config.limits().describe();
        if (limits.isEmpty()) {
            lines.add("limits: none");
        } else {
            limits.forEach(line -> lines.add("limits: " + line));
        }
        lines.add(config.cluster() == null ? "limits shared: no (each server on its own)"
                : "limits shared: through " + config.cluster());
        return lines;
    }
}
