package dev.ferryproxy.app;

import ch.qos.logback.classic.Level;
import dev.ferryproxy.server.ProxyServer;
import dev.ferryproxy.server.ProxyServerConfig;
import dev.ferryproxy.server.Transport;
import dev.ferryproxy.server.TransportKind;
import io.netty.util.NetUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code ferry}: serves SOCKS4, SOCKS4a and SOCKS5 until SIGTERM or Ctrl-C. */
@Command(name = "ferry",
        mixinStandardHelpOptions = true,
        versionProvider = FerryVersion.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "A SOCKS4, SOCKS4a and SOCKS5 proxy server. With no options it serves without",
            "authentication on 127.0.0.1:1080. SIGTERM or Ctrl-C stops it."
        })
public final class FerryCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(FerryCommand.class);

    @Option(names = "--listen", paramLabel = "HOST:PORT", converter = HostPortConverter.class,
            description = "Address to accept SOCKS clients on; repeatable. IPv6 as [::1]:1080. Default: 127.0.0.1:1080.")
    private List<InetSocketAddress> listeners = new ArrayList<>();

    @Option(names = "--handshake-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "10s", description = "Most time from connect to a complete request (default: ${DEFAULT-VALUE}).")
    private Duration handshakeTimeout;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "10s", description = "Most time one connection attempt to a target may take (default: ${DEFAULT-VALUE}).")
    private Duration connectTimeout;

    @Option(names = "--dns-server", paramLabel = "HOST:PORT", converter = HostPortConverter.class,
            description = "Name server to ask; repeatable. Default: those of /etc/resolv.conf.")
    private List<InetSocketAddress> dnsServers = new ArrayList<>();

    @Option(names = "--transport", paramLabel = "KIND", defaultValue = "auto",
            converter = TransportKindConverter.class,
            description = "auto (epoll where it loads, else nio), epoll or nio (default: ${DEFAULT-VALUE}).")
    private TransportKind transport;

    @Option(names = "--worker-threads", paramLabel = "N", defaultValue = "0",
            description = "Event loop threads; 0 for one per core (default: ${DEFAULT-VALUE}).")
    private int workerThreads;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            converter = LogLevelConverter.class,
            description = "error, warn, info, debug or trace (default: ${DEFAULT-VALUE}). debug logs why each rejected connection was rejected.")
    private Level logLevel;

    @Override
    public Integer call() throws InterruptedException {
        Logging.setRootLevel(logLevel);
        ProxyServerConfig config;
        try {
            ProxyServerConfig.Builder builder = ProxyServerConfig.builder()
                    .handshakeTimeout(handshakeTimeout)
                    .connectTimeout(connectTimeout)
                    .dnsServers(dnsServers)
                    .transport(transport)
                    .workerThreads(workerThreads);
            listeners.forEach(builder::listen);
            config = builder.build();
        } catch (IllegalArgumentException e) {
            log.error("invalid configuration: {}", e.getMessage());
            return 2;
        }
        if (transport == TransportKind.AUTO && Transport.epollUnavailabilityCause() != null) {
            log.info("native epoll unavailable ({}); using NIO", Transport.epollUnavailabilityCause().toString());
        }
        ProxyServer server;
        try {
            server = ProxyServer.start(config);
        } catch (IOException | IllegalStateException e) {
            log.error("Ferry cannot start: {}", e.getMessage());
            return 1;
        }
        StopSignals stop = StopSignals.install();
        log.info("Ferry {} listening on {} (SOCKS4, SOCKS4a, SOCKS5; transport {})", FerryVersion.version(),
                server.boundAddresses().stream().map(NetUtil::toSocketAddressString).collect(Collectors.joining(", ")),
                server.transport());
        String signal = stop.await();
        log.info("Ferry stopping on {}", signal);
        server.close();
        log.info("Ferry stopped");
        return 0;
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

    static final class TransportKindConverter implements ITypeConverter<TransportKind> {
        @Override
        public TransportKind convert(String value) {
            for (TransportKind kind : TransportKind.values()) {
                if (kind.name().equalsIgnoreCase(value)) {
                    return kind;
                }
            }
            throw new TypeConversionException("'" + value + "' is not a transport (expected: auto, epoll or nio)");
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
}
