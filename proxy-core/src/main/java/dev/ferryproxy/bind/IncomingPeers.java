package dev.ferryproxy.bind;

import io.netty.channel.Channel;

/**
 * What a BIND listener reports to the command handler that opened it. Both calls come on the
 * client's event loop, which is also the listener's and every accepted peer's.
 */
interface IncomingPeers {
    /**
     * A connection was accepted: registered, active, auto-read off, and with an
     * {@link dev.ferryproxy.relay.EarlyInboundHolder} keeping what it sends until a relay joins.
     * The receiver owns it: it relays it or closes it.
     */
    void arrived(Channel peer);

    /** The listener could not accept (file descriptors exhausted, say); it will not be asked again. */
    void acceptFailed(Throwable cause);
}
