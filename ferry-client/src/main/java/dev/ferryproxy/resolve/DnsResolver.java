package dev.ferryproxy.resolve;

import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.dns.DefaultDnsCache;
import io.netty.resolver.dns.DnsCache;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Netty's asynchronous DNS resolver: reads /etc/hosts first, then asks the system's name servers
 * (from /etc/resolv.conf) or the ones configured, and caches answers by their TTL.
 *
 * <p>Each event loop gets its own {@link DnsNameResolver} (its sockets live on that loop, so an
 * answer never crosses threads); all of them share one cache. Names that cannot be host names,
 * and names under {@code .invalid} (RFC 6761), fail at once without a query.
 */
public final class DnsResolver implements NameResolver {
    private final Class<? extends DatagramChannel> datagramChannelType;
    private final Class<? extends SocketChannel> socketChannelType;
    private final DnsServerAddressStreamProvider nameServers;
    private final long queryTimeoutMillis;
    private final DnsCache sharedCache = new DefaultDnsCache();
    private final Queue<DnsNameResolver> created = new ConcurrentLinkedQueue<>();
    private final FastThreadLocal<DnsNameResolver> perLoop = new FastThreadLocal<>();

    /**
     * @param nameServers the servers to ask, in order; empty for the system's configuration
     * @param queryTimeout how long to wait for one name server's answer
     */
    public DnsResolver(Class<? extends DatagramChannel> datagramChannelType,
            Class<? extends SocketChannel> socketChannelType,
            List<InetSocketAddress> nameServers, Duration queryTimeout) {
        this.datagramChannelType = datagramChannelType;
        this.socketChannelType = socketChannelType;
        this.nameServers = nameServers.isEmpty()
                ? DnsServerAddressStreamProviders.platformDefault()
                : new SequentialDnsServerAddressStreamProvider(nameServers.toArray(new InetSocketAddress[0]));
        this.queryTimeoutMillis = queryTimeout.toMillis();
    }

    @Override
    public Future<List<InetAddress>> resolveAll(String host, EventLoop loop) {
        Optional<InetAddress> literal = NumericHosts.parse(host);
        if (literal.isPresent()) {
            // Every numeric spelling (127.1, 0x7f.0.0.1, ::ffff:127.0.0.1) is its address, never a query.
            return loop.newSucceededFuture(List.of(literal.get()));
        }
        if (!HostNames.isValidHostName(host)) {
            return loop.newFailedFuture(new UnknownHostException("not a valid host name"));
        }
        if (HostNames.isUnderInvalidDomain(host)) {
            return loop.newFailedFuture(new UnknownHostException(host + " (RFC 6761: .invalid never resolves)"));
        }
        return resolverFor(loop).resolveAll(host);
    }

    private DnsNameResolver resolverFor(EventLoop loop) {
        if (!loop.inEventLoop()) {
            throw new IllegalStateException("resolveAll must be called on the event loop it names");
        }
        // On the loop's own thread, the thread-local holds that loop's resolver.
        DnsNameResolver resolver = perLoop.get();
        if (resolver == null) {
            resolver = new DnsNameResolverBuilder(loop)
                    .datagramChannelType(datagramChannelType)
                    .socketChannelType(socketChannelType)
                    .nameServerProvider(nameServers)
                    .resolveCache(sharedCache)
                    .queryTimeoutMillis(queryTimeoutMillis)
                    .build();
            perLoop.set(resolver);
            created.add(resolver);
        }
        return resolver;
    }

    @Override
    public void close() {
        DnsNameResolver resolver;
        while ((resolver = created.poll()) != null) {
            resolver.close();
        }
    }
}
