package dev.ferryproxy.codec.v4;

import dev.ferryproxy.codec.SocksAddress;

import java.util.Objects;

/**
 * A SOCKS4 or SOCKS4a request. A SOCKS4a request names its destination by host name: {@code dst}
 * is then a domain address.
 *
 * @param type the command
 * @param dst the destination: IPv4 for SOCKS4, a domain name for SOCKS4a
 * @param userId the USERID field (0..255 bytes, one char per byte)
 */
public record Socks4CommandRequest(Socks4CommandType type, SocksAddress dst, String userId) {
    public Socks4CommandRequest {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(dst, "dst");
        Objects.requireNonNull(userId, "userId");
    }

    /** Whether this request used the SOCKS4a extension (a host name for the proxy to resolve). */
    public boolean isSocks4a() {
        return dst.isDomain();
    }
}
