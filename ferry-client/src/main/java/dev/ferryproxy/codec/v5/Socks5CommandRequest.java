package dev.ferryproxy.codec.v5;

import dev.ferryproxy.codec.SocksAddress;

import java.util.Objects;

/** A SOCKS5 request: {@code VER=5, CMD, RSV, ATYP, DST.ADDR, DST.PORT}. */
public record Socks5CommandRequest(Socks5CommandType type, SocksAddress dst) {
    public Socks5CommandRequest {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(dst, "dst");
    }
}
