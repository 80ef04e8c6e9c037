package dev.ferryproxy.client;

/**
 * The proxy sent bytes that are no valid reply: a wrong version, an unknown address type or
 * SOCKS4 code, a method that was not offered.
 */
public final class MalformedReplyException extends SocksException {
    private static final long serialVersionUID = 1L;

    public MalformedReplyException(String message) {
        this(message, null, null);
    }

    public MalformedReplyException(String message, ProxyUri proxy, Throwable cause) {
        super("malformed reply: " + message, proxy, cause);
    }
}
