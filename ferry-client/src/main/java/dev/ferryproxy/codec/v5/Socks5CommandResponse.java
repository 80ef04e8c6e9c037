package dev.ferryproxy.codec.v5;

import dev.ferryproxy.codec.SocksAddress;

import java.util.Objects;

/** A SOCKS5 reply: {@code VER=5, REP, RSV=0, ATYP, BND.ADDR, BND.PORT}. */
public record Socks5CommandResponse(Socks5CommandStatus status, SocksAddress bnd) {
    public Socks5CommandResponse {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(bnd, "bnd");
    }

    /** A failure reply with BND 0.0.0.0:0. */
    public static Socks5CommandResponse failure(Socks5CommandStatus status) {
        return new Socks5CommandResponse(status, SocksAddress.unspecifiedIpv4());
    }
}
