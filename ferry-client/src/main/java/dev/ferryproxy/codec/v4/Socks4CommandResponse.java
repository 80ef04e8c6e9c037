package dev.ferryproxy.codec.v4;

import dev.ferryproxy.codec.SocksAddress;

import java.util.Objects;

/**
 * A SOCKS4 reply: always 8 bytes on the wire. A bound address that is not IPv4 goes out as 0.0.0.0
 * with its port, since SOCKS4 cannot carry anything else.
 */
public record Socks4CommandResponse(Socks4CommandStatus status, SocksAddress bound) {
    private static final Socks4CommandResponse REJECTED =
            new Socks4CommandResponse(Socks4CommandStatus.REJECTED_OR_FAILED, SocksAddress.unspecifiedIpv4());

    public Socks4CommandResponse {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(bound, "bound");
    }

    /** Reply 91 with 0.0.0.0:0. */
    public static Socks4CommandResponse rejected() {
        return REJECTED;
    }
}
