package dev.ferryproxy.client;

/**
 * The proxy sent bytes that are no valid reply: a wrong version, an unknown address type or
 * SOCKS4 code, a method that was not offered.
 */
public final class MalformedReplyException extends SocksException {
    private static final long serialVersionUID = 1L;

    /** A reply that breaks the protocol, described by {@code message}; no hop named. */
    public MalformedReplyException(String message) {
        this(message, null, null);
    }

    /** A reply from {@code proxy} (may be null) that breaks the protocol, with the decoder's {@code cause} (may be null). */
    public MalformedReplyException(String message, ProxyUri proxy, Throwable cause) {
        super("malformed reply: " + message, proxy, cause);
    }
}
