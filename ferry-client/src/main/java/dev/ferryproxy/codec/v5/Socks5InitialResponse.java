package dev.ferryproxy.codec.v5;

import java.util.Objects;

/** The server's method selection: {@code VER=5, METHOD}. */
public record Socks5InitialResponse(Socks5AuthMethod method) {
    /** 0xFF: none of the offered methods is acceptable. */
    public static final Socks5InitialResponse NO_ACCEPTABLE_METHOD = new Socks5InitialResponse(Socks5AuthMethod.UNACCEPTED);
    public static final Socks5InitialResponse NO_AUTH = new Socks5InitialResponse(Socks5AuthMethod.NO_AUTH);
    public static final Socks5InitialResponse PASSWORD = new Socks5InitialResponse(Socks5AuthMethod.PASSWORD);

    public Socks5InitialResponse {
        Objects.requireNonNull(method, "method");
    }
}
