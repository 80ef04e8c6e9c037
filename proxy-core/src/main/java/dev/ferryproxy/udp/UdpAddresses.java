package dev.ferryproxy.udp;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * One spelling per address, so that addresses compare equal however a socket reported them.
 *
 * <p>The relay is a dual-stack IPv6 socket. It reports an IPv4 peer as {@code ::ffff:a.b.c.d}
 * or as a plain IPv4 address depending on the transport (epoll builds an {@link Inet6Address},
 * NIO an {@link Inet4Address}); the control connection may do the same. Everything the
 * association compares (the client's address, the destinations it sent to, the senders of
 * replies) goes through here first and is kept as IPv4.
 */
final class UdpAddresses {
    private UdpAddresses() {
    }

    /** {@code address}, with an IPv4-mapped IPv6 address turned into the IPv4 address it maps. */
    static InetAddress normalize(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address;
        }
        byte[] bytes = address.getAddress();
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return address;
            }
        }
        if (bytes[10] != (byte) 0xFF || bytes[11] != (byte) 0xFF) {
            return address;
        }
        try {
            return InetAddress.getByAddress(new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]});
        } catch (UnknownHostException e) {
            throw new AssertionError("4 bytes are always an IPv4 address", e);
        }
    }

    /** {@code address} with its IP normalised as by {@link #normalize(InetAddress)}; itself when already so. */
    static InetSocketAddress normalize(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        if (ip == null) {
            return address;
        }
        InetAddress normal = normalize(ip);
        return normal == ip ? address : new InetSocketAddress(normal, address.getPort());
    }
}
