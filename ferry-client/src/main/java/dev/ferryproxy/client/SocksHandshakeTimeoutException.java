package dev.ferryproxy.client;

import java.time.Duration;

/** The handshake (every hop, up to the reply) did not finish within the handshake timeout. */
public final class SocksHandshakeTimeoutException extends SocksException {
    private static final long serialVersionUID = 1L;

    private final Duration timeout;

    /** The handshakes took longer than {@code timeout}. */
    public SocksHandshakeTimeoutException(Duration timeout) {
        this(timeout, null, null);
    }

    /**
     * @param proxy the hop being negotiated when time ran out; may be null
     * @param step what was being waited for, e.g. "the reply to CONNECT"; may be null
     */
    public SocksHandshakeTimeoutException(Duration timeout, ProxyUri proxy, String step) {
        super("handshake not done within " + timeout.toMillis() + " ms" + (step == null ? "" : ", waiting for " + step),
                proxy, null);
        this.timeout = timeout;
    }

    /** The handshake timeout that ran out. */
    public Duration timeout() {
        return timeout;
    }
}
