package dev.ferryproxy.client;

import dev.ferryproxy.codec.SocksAddress;
import io.netty.util.NetUtil;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Where the client wants to go: a host (IP literal or name) and port.
 *
 * <p>Checked when made, so that a target that no SOCKS request can carry is refused before any
 * byte is sent: a name must be 1..255 bytes in UTF-8 (SOCKS4a and SOCKS5 carry its length in
 * one byte; a longer name is the overflow of curl's CVE-2023-38545) and may not contain a NUL; a
 * port is 0..65535. An IPv6 literal may be given in brackets; it is kept without them.
 *
 * @param host an IPv4 literal (dotted quad), an IPv6 literal, or a host name
 * @param port 0..65535
 */
public record SocksTarget(String host, int port) {
    /** The longest name SOCKS4a and SOCKS5 can carry, in bytes. */
    public static final int MAX_HOST_NAME_BYTES = SocksAddress.MAX_DOMAIN_LENGTH;

    /** Checks the parts: brackets around an IPv6 literal dropped, a name of 1 to 255 bytes without NUL, a port in 0..65535. */
    public SocksTarget {
        Objects.requireNonNull(host, "host");
        if (host.length() >= 2 && host.charAt(0) == '[' && host.charAt(host.length() - 1) == ']') {
            host = host.substring(1, host.length() - 1);
            if (!NetUtil.isValidIpV6Address(host)) {
                throw new IllegalArgumentException("host: [" + host + "] is not an IPv6 address in brackets");
            }
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("host: empty");
        }
        if (!isIpLiteral(host)) {
            int bytes = host.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > MAX_HOST_NAME_BYTES) {
                throw new IllegalArgumentException("host name: " + bytes + " bytes (expected: 1-" + MAX_HOST_NAME_BYTES
                        + "; SOCKS carries the length of a name in one byte)");
            }
            if (host.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("host name contains a NUL byte");
            }
        }
        if (port < 0 || port > SocksAddress.MAX_PORT) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0-" + SocksAddress.MAX_PORT + ")");
        }
    }

    /** The target {@code host} (a name or an address literal) and {@code port}. */
    public static SocksTarget of(String host, int port) {
        return new SocksTarget(host, port);
    }

    /** The target of a socket address: its IP address when resolved, else its host name. */
    public static SocksTarget of(InetSocketAddress address) {
        InetAddress inet = address.getAddress();
        if (inet == null) {
            return new SocksTarget(address.getHostString(), address.getPort());
        }
        return new SocksTarget(NetUtil.toAddressString(inet), address.getPort());
    }

    /** Whether {@link #host()} is an IPv4 or IPv6 literal rather than a name. */
    public boolean isIpLiteral() {
        return isIpLiteral(host);
    }

    /** Whether {@link #host()} is an IPv6 literal. */
    public boolean isIpv6Literal() {
        return NetUtil.isValidIpV6Address(host);
    }

    /** The address of an IP literal, made without DNS; {@code null} for a name. */
    public InetAddress ipAddress() {
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(host);
        if (bytes == null) {
            return null;
        }
        try {
            return bytes.length == 16 ? Inet6Address.getByAddress(null, bytes, -1) : InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * As SOCKS carries it: an IPv4 or IPv6 address for a literal, else a domain name whose chars
     * are the name's UTF-8 bytes (one char per byte, as {@link SocksAddress} keeps names).
     */
    public SocksAddress toSocksAddress() {
        InetAddress ip = ipAddress();
        if (ip != null) {
            return SocksAddress.of(new InetSocketAddress(ip, port));
        }
        return SocksAddress.domain(new String(host.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1), port);
    }

    /** An unresolved socket address (no DNS). */
    public InetSocketAddress toUnresolvedAddress() {
        return InetSocketAddress.createUnresolved(host, port);
    }

    private static boolean isIpLiteral(String host) {
        return NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host);
    }

    /** {@code host:port}, IPv6 in brackets. */
    @Override
    public String toString() {
        return (isIpv6Literal() ? "[" + host + "]" : host) + ":" + port;
    }
}
