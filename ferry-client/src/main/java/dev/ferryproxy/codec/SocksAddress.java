package dev.ferryproxy.codec;

import io.netty.util.NetUtil;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * A destination or bound address as SOCKS carries it: an IPv4 or IPv6 address, or a domain name
 * that the proxy resolves, with a port.
 *
 * <p>Domain names are kept as the bytes the client sent, one char per byte (ISO-8859-1), so that
 * every byte sequence round-trips exactly and its length in chars is its length on the wire.
 * Whether a name is fit to resolve is decided by the resolver, not here.
 */
public final class SocksAddress {
    /** The longest domain name SOCKS5 and SOCKS4a can carry: one length byte. */
    public static final int MAX_DOMAIN_LENGTH = 255;
    public static final int MAX_PORT = 0xFFFF;

    private final SocksAddressType type;
    /**
     * The domain name; for an IP address its text, made on first use (decoding a request, or
     * building a reply, needs only the address). A racy first use is harmless: every thread makes
     * the same immutable String.
     */
    private String host;
    private final int port;
    /** The parsed address for IPV4 and IPV6, {@code null} for DOMAIN. */
    private final InetAddress address;

    private SocksAddress(SocksAddressType type, String host, int port, InetAddress address) {
        this.type = type;
        this.host = host;
        this.port = checkPort(port);
        this.address = address;
    }

    /** An IPv4 address from its 4 bytes in network order. */
    public static SocksAddress ipv4(byte[] addressBytes, int port) {
        if (addressBytes.length != 4) {
            throw new IllegalArgumentException("IPv4 address: " + addressBytes.length + " bytes (expected: 4)");
        }
        return fromAddressBytes(SocksAddressType.IPV4, addressBytes, port);
    }

    /** An IPv6 address from its 16 bytes in network order. */
    public static SocksAddress ipv6(byte[] addressBytes, int port) {
        if (addressBytes.length != 16) {
            throw new IllegalArgumentException("IPv6 address: " + addressBytes.length + " bytes (expected: 16)");
        }
        return fromAddressBytes(SocksAddressType.IPV6, addressBytes, port);
    }

    /**
     * A domain name to be resolved by the proxy.
     *
     * @throws IllegalArgumentException when the name is empty, longer than 255 chars, or holds a
     *     char that is not a single byte
     */
    public static SocksAddress domain(String name, int port) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.length() > MAX_DOMAIN_LENGTH) {
            throw new IllegalArgumentException(
                    "domain name: " + name.length() + " bytes (expected: 1-" + MAX_DOMAIN_LENGTH + ")");
        }
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) > 0xFF) {
                throw new IllegalArgumentException("domain name: char " + i + " is not a single byte");
            }
        }
        return new SocksAddress(SocksAddressType.DOMAIN, name, port, null);
    }

    /** The address of a socket: IPv4 or IPv6 when resolved (IPv4-mapped IPv6 becomes IPv4), else its host name. */
    public static SocksAddress of(InetSocketAddress socketAddress) {
        InetAddress inet = socketAddress.getAddress();
        if (inet == null) {
            return domain(socketAddress.getHostString(), socketAddress.getPort());
        }
        if (inet instanceof Inet4Address) {
            return new SocksAddress(SocksAddressType.IPV4, null, socketAddress.getPort(), inet);
        }
        return fromAddressBytes(SocksAddressType.IPV6, inet.getAddress(), socketAddress.getPort());
    }

    /** The unspecified IPv4 address 0.0.0.0 with port 0, for replies that carry no address. */
    public static SocksAddress unspecifiedIpv4() {
        return ipv4(new byte[4], 0);
    }

    private static SocksAddress fromAddressBytes(SocksAddressType type, byte[] bytes, int port) {
        InetAddress inet;
        try {
            // getByAddress never touches DNS, and copies the bytes: the caller's array is not kept.
            inet = InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
        if (type == SocksAddressType.IPV6 && inet instanceof Inet4Address) {
            // The JDK turns ::ffff:a.b.c.d into an IPv4 address; the wire said IPv6, keep it IPv6 and exact.
            inet = ipv6Exact(bytes);
        }
        return new SocksAddress(type, null, port, inet);
    }

    private static Inet6Address ipv6Exact(byte[] bytes) {
        try {
            return Inet6Address.getByAddress(null, bytes, -1);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static int checkPort(int port) {
        if (port < 0 || port > MAX_PORT) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0-" + MAX_PORT + ")");
        }
        return port;
    }

    public SocksAddressType type() {
        return type;
    }

    /** The textual IP address, or the domain name as sent. */
    public String host() {
        String text = host;
        if (text == null) {
            text = NetUtil.toAddressString(address);
            host = text;
        }
        return text;
    }

    public int port() {
        return port;
    }

    public boolean isDomain() {
        return type == SocksAddressType.DOMAIN;
    }

    /** The IP address; only for IPV4 and IPV6. */
    public InetAddress inetAddress() {
        if (address == null) {
            throw new IllegalStateException("a domain name has no address until it is resolved: " + this);
        }
        return address;
    }

    /** The host for logs: control chars and non-ASCII bytes of a domain name escaped as \xNN. */
    public String printableHost() {
        if (!isDomain()) {
            return host();
        }
        StringBuilder sb = null;
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean plain = c >= 0x21 && c < 0x7F && c != '\\';
            if (sb == null) {
                if (plain) {
                    continue;
                }
                sb = new StringBuilder(host.length() + 16).append(host, 0, i);
            }
            if (plain) {
                sb.append(c);
            } else {
                sb.append(String.format("\\x%02x", (int) c));
            }
        }
        return sb == null ? host : sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SocksAddress)) {
            return false;
        }
        SocksAddress that = (SocksAddress) o;
        return port == that.port && type == that.type && host().equals(that.host());
    }

    @Override
    public int hashCode() {
        return (type.hashCode() * 31 + host().hashCode()) * 31 + port;
    }

    /** {@code host:port}, with IPv6 in brackets; domain names escaped as by {@link #printableHost()}. */
    @Override
    public String toString() {
        return type == SocksAddressType.IPV6
                ? "[" + host() + "]:" + port
                : printableHost() + ":" + port;
    }
}
