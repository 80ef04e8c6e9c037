package dev.ferryproxy.app;

import ch.qos.logback.classic.Level;
import dev.ferryproxy.client.ProxyUri;
import dev.ferryproxy.client.SocksClient;
import dev.ferryproxy.client.SocksTarget;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** The options every client command takes: the proxy (or chain of proxies), timeouts and name servers. */
final class ClientOptions {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    @Option(names = "--proxy", paramLabel = "URI", required = true, converter = ProxyUriConverter.class,
            description = "The SOCKS proxy: socks5h://[USER:PASSWORD@]HOST:PORT (the proxy resolves names),"
                    + " socks5://, socks4a:// or socks4:// (names resolved here). Repeat for a chain, nearest"
                    + " proxy first. Other local users can see a command line.")
    List<ProxyUri> proxies = new ArrayList<>();

    @Option(names = "--connect-timeout", paramLabel = "DURATION", converter = FerryCommand.DurationConverter.class,
            description = "Most time the TCP connection to the first proxy may take (default: 10s).")
    Duration connectTimeout = DEFAULT_TIMEOUT;

    @Option(names = "--handshake-timeout", paramLabel = "DURATION", converter = FerryCommand.DurationConverter.class,
            description = "Most time the SOCKS handshakes (every hop, up to the last reply) may take (default: 10s).")
    Duration handshakeTimeout = DEFAULT_TIMEOUT;

    @Option(names = "--dns-server", paramLabel = "HOST:PORT", converter = FerryCommand.HostPortConverter.class,
            description = "Name server for the names resolved here (the first proxy's host; the targets of socks4://"
                    + " and socks5:// hops); repeatable. Default: those of /etc/resolv.conf.")
    List<InetSocketAddress> dnsServers = new ArrayList<>();

    /** A client for the options, not started yet: commands add their event loops, then build it. */
    SocksClient.Builder clientBuilder() {
        SocksClient.Builder builder = SocksClient.builder()
                .connectTimeout(connectTimeout)
                .handshakeTimeout(handshakeTimeout)
                .dnsServers(dnsServers);
        for (ProxyUri proxy : proxies) {
            builder.proxy(proxy);
        }
        return builder;
    }

    /**
     * Why the chain cannot reach {@code target}, or null when it can: SOCKS4 and SOCKS4a carry no
     * IPv6 address, neither to the next proxy nor to the target. Checked before anything is sent.
     */
    String chainProblem(SocksTarget target) {
        for (int i = 0; i < proxies.size(); i++) {
            ProxyUri hop = proxies.get(i);
            SocksTarget next = i + 1 < proxies.size() ? proxies.get(i + 1).target() : target;
            if (!hop.protocol().carriesIpv6() && next.isIpv6Literal()) {
                return hop + " cannot carry the IPv6 address of " + next
                        + " (SOCKS4 and SOCKS4a carry only IPv4 addresses and names; use socks5h://)";
            }
        }
        return null;
    }

    /** The proxies for a log line: {@code socks5h://127.0.0.1:1080} or a chain {@code a -> b}, passwords masked. */
    String describeProxies() {
        return proxies.stream().map(ProxyUri::toString).collect(Collectors.joining(" -> "));
    }

    static void configureLogging(Level level) {
        Logging.toStandardError();
        Logging.setRootLevel(level);
    }

    static final class ProxyUriConverter implements ITypeConverter<ProxyUri> {
        @Override
        public ProxyUri convert(String value) {
            try {
                return ProxyUri.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** HOST:PORT of a target, the host kept as written: the proxy (or the chosen scheme) decides where it resolves. */
    static final class TargetConverter implements ITypeConverter<SocksTarget> {
        @Override
        public SocksTarget convert(String value) {
            try {
                InetSocketAddress address = HostPort.parseUnresolved(value);
                return target(address.getHostString(), address.getPort(), value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** A target port: 1 to 65535. */
    static final class PortConverter implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int port;
            try {
                port = Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a port number");
            }
            if (port < 1 || port > 65535) {
                throw new TypeConversionException("port " + port + " is out of range (expected: 1-65535)");
            }
            return port;
        }
    }

    static SocksTarget target(String host, int port, String asWritten) {
        if (port == 0) {
            throw new IllegalArgumentException("port 0 in '" + asWritten + "' cannot be connected to (expected: 1-65535)");
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("the host in '" + asWritten + "' is empty");
        }
        return SocksTarget.of(host, port);
    }
}
