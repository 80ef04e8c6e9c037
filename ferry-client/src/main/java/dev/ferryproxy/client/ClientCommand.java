package dev.ferryproxy.client;

import dev.ferryproxy.codec.v4.Socks4CommandType;
import dev.ferryproxy.codec.v5.Socks5CommandType;

/** The command asked of the last hop; every hop before it is asked to CONNECT to the next. */
enum ClientCommand {
    CONNECT(Socks4CommandType.CONNECT, Socks5CommandType.CONNECT),
    BIND(Socks4CommandType.BIND, Socks5CommandType.BIND),
    /** SOCKS5 only. */
    UDP_ASSOCIATE(null, Socks5CommandType.UDP_ASSOCIATE);

    private final Socks4CommandType socks4;
    private final Socks5CommandType socks5;

    ClientCommand(Socks4CommandType socks4, Socks5CommandType socks5) {
        this.socks4 = socks4;
        this.socks5 = socks5;
    }

    Socks4CommandType socks4() {
        return socks4;
    }

    Socks5CommandType socks5() {
        return socks5;
    }

    /** Whether the command gets two replies (BIND: listening, then connected). */
    boolean hasSecondReply() {
        return this == BIND;
    }
}
