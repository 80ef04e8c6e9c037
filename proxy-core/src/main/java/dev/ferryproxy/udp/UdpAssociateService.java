package dev.ferryproxy.udp;

import dev.ferryproxy.resolve.NameResolver;
import io.netty.channel.socket.DatagramChannel;
import io.netty.util.NetUtil;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * What every UDP association of a server shares, built once: the settings, the transport's UDP
 * socket class, the resolver, the address to advertise, how datagrams reach destinations, and
 * the server-wide counters and live associations (for tests and metrics).
 *
 * <p>Relay sockets are bound to {@link #relayBindAddress()}: the dual-stack wildcard {@code ::}
 * where the host can open IPv6 sockets, else {@code 0.0.0.0}. A dual-stack socket can send to
 * IPv4 and IPv6 destinations alike (IPv4 as {@code ::ffff:a.b.c.d}) and receive from clients of
 * either family, whereas a socket bound to the control connection's own address (say
 * 127.0.0.1) could never reach {@code ::1}. Which it is is probed once, here, off the event loops.
 */
public final class UdpAssociateService {
    private static final InetAddress IPV4_WILDCARD = wildcard(4);
    private static final InetAddress IPV6_WILDCARD = wildcard(16);

    private final UdpSettings settings;
    private final Class<? extends DatagramChannel> datagramChannelType;
    private final NameResolver resolver;
    private final InetAddress advertisedAddress;
    private final Function<UdpAssociation, UdpDestinationSender> senders;
    private final InetAddress relayBindAddress;
    private final UdpStats totals = UdpStats.totals();
    private final LongAdder associationsOpened = new LongAdder();
    private final Set<UdpAssociation> associations = ConcurrentHashMap.newKeySet();

    /**
     * A service whose associations send straight out of their relay sockets.
     *
     * @param settings whether UDP ASSOCIATE is on, its ports, timeout and limits
     * @param datagramChannelType the transport's UDP socket class
     * @param resolver resolves destination names without blocking
     * @param advertisedAddress the address put in the reply in place of the relay's own (for NAT,
     *     containers and load balancers); {@code null} for the local address of the client's connection
     */
    public UdpAssociateService(UdpSettings settings, Class<? extends DatagramChannel> datagramChannelType,
            NameResolver resolver, InetAddress advertisedAddress) {
        this(settings, datagramChannelType, resolver, advertisedAddress, DirectUdpSender::forAssociation);
    }

    /**
     * A service whose associations send through the senders {@code senders} makes, one per
     * association, as it is built (the association's relay socket is bound, but nothing is read
     * yet: the sender must not relay to the client before its first {@code send}).
     */
    public UdpAssociateService(UdpSettings settings, Class<? extends DatagramChannel> datagramChannelType,
            NameResolver resolver, InetAddress advertisedAddress,
            Function<UdpAssociation, UdpDestinationSender> senders) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.datagramChannelType = Objects.requireNonNull(datagramChannelType, "datagramChannelType");
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.advertisedAddress = advertisedAddress;
        this.senders = Objects.requireNonNull(senders, "senders");
        this.relayBindAddress = settings.enabled() ? probeRelayBindAddress() : IPV4_WILDCARD;
    }

    public UdpSettings settings() {
        return settings;
    }

    public Class<? extends DatagramChannel> datagramChannelType() {
        return datagramChannelType;
    }

    public NameResolver resolver() {
        return resolver;
    }

    /** The address replies advertise, or {@code null} for each control connection's local address. */
    public InetAddress advertisedAddress() {
        return advertisedAddress;
    }

    /** The wildcard address relay sockets are bound to: {@code ::} (dual-stack) or {@code 0.0.0.0}. */
    public InetAddress relayBindAddress() {
        return relayBindAddress;
    }

    /** Every association's counters added up, since the server started. */
    public UdpStats totals() {
        return totals;
    }

    /** How many associations have started since the server started. */
    public long associationsOpened() {
        return associationsOpened.sum();
    }

    /** The associations relaying now (a snapshot). */
    public Collection<UdpAssociation> associations() {
        return List.copyOf(associations);
    }

    UdpDestinationSender newSender(UdpAssociation association) {
        return Objects.requireNonNull(senders.apply(association), "the sender factory returned null");
    }

    void opened(UdpAssociation association) {
        associationsOpened.increment();
        associations.add(association);
    }

    void closed(UdpAssociation association) {
        associations.remove(association);
    }

    /**
     * {@code ::} when this host can bind an IPv6 UDP socket (which Netty's transports open
     * dual-stack), else {@code 0.0.0.0}.
     */
    private static InetAddress probeRelayBindAddress() {
        if (NetUtil.isIpV4StackPreferred()) {
            return IPV4_WILDCARD;
        }
        try (java.nio.channels.DatagramChannel probe =
                java.nio.channels.DatagramChannel.open(StandardProtocolFamily.INET6)) {
            probe.bind(new InetSocketAddress(IPV6_WILDCARD, 0));
            return IPV6_WILDCARD;
        } catch (IOException | UnsupportedOperationException e) {
            return IPV4_WILDCARD;
        }
    }

    private static InetAddress wildcard(int length) {
        try {
            return InetAddress.getByAddress(new byte[length]);
        } catch (UnknownHostException e) {
            throw new AssertionError("an address of " + length + " bytes is always valid", e);
        }
    }

    @Override
    public String toString() {
        return "UdpAssociateService[" + settings + ", relays on " + relayBindAddress.getHostAddress()
                + (advertisedAddress != null ? ", advertising " + advertisedAddress.getHostAddress() : "") + "]";
    }
}
