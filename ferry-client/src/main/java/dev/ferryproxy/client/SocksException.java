package dev.ferryproxy.client;

import java.io.IOException;

/**
 * A SOCKS handshake failed. Subclasses say how: {@link SocksReplyException} (the proxy refused
 * the request), {@link SocksAuthenticationException}, {@link NoAcceptableMethodException},
 * {@link SocksHandshakeTimeoutException}, {@link MalformedReplyException}. This class itself
 * covers a connection that closed or failed in the middle of a handshake.
 */
public class SocksException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient ProxyUri proxy;

    /** A failure described by {@code message}, with no hop named. */
    public SocksException(String message) {
        this(message, null, null);
    }

    /** A failure described by {@code message}, caused by {@code cause}, with no hop named. */
    public SocksException(String message, Throwable cause) {
        this(message, null, cause);
    }

    /**
     * @param proxy the hop that failed, named at the start of the message; may be null
     */
    public SocksException(String message, ProxyUri proxy, Throwable cause) {
        super(proxy == null ? message : proxy + ": " + message, cause);
        this.proxy = proxy;
    }

    /** The proxy whose handshake failed (password hidden in its text form), or {@code null}. */
    public ProxyUri proxy() {
        return proxy;
    }
}
