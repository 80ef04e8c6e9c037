package dev.ferryproxy.bind;

import io.netty.util.NetUtil;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Who may connect to a BIND listener: the addresses the request named, or anyone.
 *
 * <p>SOCKS4 has the server check the incoming peer against DSTIP, and SOCKS5 keeps that for a
 * request that names an address. An unspecified address (0.0.0.0 or ::) names no host, and no
 * peer can ever connect from it, so it means "any peer" in both versions (the rules still see
 * it as the destination and may deny it). A name stands for every address it resolved to that
 * the rules allow.
 *
 * <p>Only the address is compared. The request's port is informational for BIND (RFC 1928,
 * SOCKS4): the peer picks its own source port, which the client usually cannot know. An
 * IPv4-mapped IPv6 address counts as the IPv4 address it carries, so a dual-stack socket does
 * not turn the right peer away.
 */
final class ExpectedPeer {
    private static final ExpectedPeer ANY = new ExpectedPeer(List.of());

    /** The accepted addresses, IPv4-mapped ones unmapped; empty for any peer. */
    private final List<InetAddress> addresses;

    private ExpectedPeer(List<InetAddress> addresses) {
        this.addresses = addresses;
    }

    /** Exactly the peer at {@code address}, or anyone when it is unspecified (0.0.0.0, ::). */
    static ExpectedPeer at(InetAddress address) {
        InetAddress plain = unmapped(address);
        return plain.isAnyLocalAddress() ? ANY : new ExpectedPeer(List.of(plain));
    }

    /** A peer at any of {@code addresses} (the allowed addresses of a name), taken as they are. */
    static ExpectedPeer atAnyOf(List<InetAddress> addresses) {
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("no addresses: a name must leave at least one allowed address");
        }
        List<InetAddress> plain = new ArrayList<>(addresses.size());
        for (InetAddress address : addresses) {
            plain.add(unmapped(address));
        }
        return new ExpectedPeer(List.copyOf(plain));
    }

    /** Whether any peer will do: the request named no host. */
    boolean anyPeer() {
        return addresses.isEmpty();
    }

    /** Whether a connection from {@code peer} is the one the client waits for. */
    boolean matches(InetAddress peer) {
        if (addresses.isEmpty()) {
            return true;
        }
        byte[] wanted = unmapped(peer).getAddress();
        for (InetAddress address : addresses) {
            // Byte comparison: an IPv6 scope id on the accepted socket must not make the peer a stranger.
            if (Arrays.equals(address.getAddress(), wanted)) {
                return true;
            }
        }
        return false;
    }

    /** For logs: "any peer" or the addresses. */
    @Override
    public String toString() {
        return addresses.isEmpty() ? "any peer"
                : addresses.stream().map(NetUtil::toAddressString).collect(Collectors.joining(", "));
    }

    /** The IPv4 address an IPv4-mapped IPv6 address carries; any other address as it is. */
    static InetAddress unmapped(InetAddress address) {
        if (address instanceof Inet6Address) {
            byte[] bytes = address.getAddress();
            if (isIpv4Mapped(bytes)) {
                try {
                    return InetAddress.getByAddress(Arrays.copyOfRange(bytes, 12, 16));
                } catch (UnknownHostException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return address;
    }

    /** {@code ::ffff:a.b.c.d}: ten zero bytes, two 0xff bytes, then the IPv4 address. */
    private static boolean isIpv4Mapped(byte[] bytes) {
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
    }
}
