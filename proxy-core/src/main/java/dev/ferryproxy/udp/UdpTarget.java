package dev.ferryproxy.udp;

import dev.ferryproxy.codec.SocksAddress;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A destination the rules allow for one association: as the client named it, and the address
 * its datagrams go to (for a name, the first resolved address the rules allow and the relay can
 * reach; IPv4-mapped addresses as IPv4).
 *
 * @param requested the destination from the datagram's header
 * @param address where the datagrams go; unresolved (the name) when an upstream resolves it
 * @param via the upstream the datagrams go through, {@code null} to send them directly
 */
public record UdpTarget(SocksAddress requested, InetSocketAddress address, String via) {
    public UdpTarget {
        Objects.requireNonNull(requested, "requested");
        Objects.requireNonNull(address, "address");
    }

    /** A target reached directly. */
    public UdpTarget(SocksAddress requested, InetSocketAddress address) {
        this(requested, address, null);
    }
}
