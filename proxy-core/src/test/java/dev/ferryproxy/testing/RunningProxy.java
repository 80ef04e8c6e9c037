package dev.ferryproxy.testing;

import dev.ferryproxy.relay.RelayMode;
import dev.ferryproxy.server.ProxyServer;
import dev.ferryproxy.server.ProxyServerConfig;
import dev.ferryproxy.transport.TransportKind;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * A {@link ProxyServer} running in-process on 127.0.0.1 and an ephemeral port, asking only the
 * given DNS server (never the machine's). Close it to stop the server.
 *
 * <p>The system property {@value #RELAY_PROPERTY} ({@code auto}, {@code splice}, {@code buffer})
 * sets the relay of every server started here unless a test sets its own, so that the whole
 * suite can be run with either relay.
 */
public final class RunningProxy implements AutoCloseable {
    /** The system property that picks the relay of the servers started here. */
    public static final String RELAY_PROPERTY = "ferry.test.relay";
    /** The transport the suite's servers run on: auto (the default), epoll, io_uring or nio. */
    public static final String TRANSPORT_PROPERTY = "ferry.test.transport";

    private final ProxyServer server;

    private RunningProxy(ProxyServer server) {
        this.server = server;
    }

    /** Starts a server with the defaults, short DNS and connect timeouts, and {@code dnsServer}. */
    public static RunningProxy start(InetSocketAddress dnsServer) throws IOException {
        return start(dnsServer, UnaryOperator.identity());
    }

    /** Like {@link #start(InetSocketAddress)}, with {@code customizer} applied to the builder last. */
    public static RunningProxy start(InetSocketAddress dnsServer, UnaryOperator<ProxyServerConfig.Builder> customizer)
            throws IOException {
        ProxyServerConfig.Builder builder = ProxyServerConfig.builder()
                .listen(new InetSocketAddress(Loopback.IPV4, 0))
                .dnsServers(List.of(dnsServer))
                .dnsQueryTimeout(Duration.ofSeconds(2))
                .connectTimeout(Duration.ofSeconds(5))
                .relay(RelayMode.valueOf(System.getProperty(RELAY_PROPERTY, "auto").toUpperCase(Locale.ROOT)))
                .transport(TransportKind.valueOf(System.getProperty(TRANSPORT_PROPERTY, "auto").toUpperCase(Locale.ROOT)));
        return new RunningProxy(ProxyServer.start(customizer.apply(builder).build()));
    }

    public ProxyServer server() {
        return server;
    }

    /** The proxy's listening address (127.0.0.1 and its port). */
    public InetSocketAddress address() {
        return server.address();
    }

    /** {@code 127.0.0.1:port}, as curl's proxy options take it. */
    public String hostAndPort() {
        return address().getAddress().getHostAddress() + ":" + address().getPort();
    }

    /** A {@code java.net.Proxy} of type SOCKS pointing at this server. */
    public Proxy jdkProxy() {
        return new Proxy(Proxy.Type.SOCKS, address());
    }

    @Override
    public void close() {
        server.close();
    }
}
