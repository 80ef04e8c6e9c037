package dev.ferryproxy.client;

/** The proxy refused the user name and password: RFC 1929 STATUS other than 0. */
public final class SocksAuthenticationException extends SocksException {
    private static final long serialVersionUID = 1L;

    private final int status;

    /** The proxy refused the user name and password with this RFC 1929 STATUS. */
    public SocksAuthenticationException(int status) {
        this(status, null);
    }

    /** {@code proxy} (may be null) refused the user name and password with this RFC 1929 STATUS. */
    public SocksAuthenticationException(int status, ProxyUri proxy) {
        super(String.format("user name or password refused (RFC 1929 status 0x%02x)", status), proxy, null);
        this.status = status;
    }

    /** The RFC 1929 STATUS byte (never 0). */
    public int status() {
        return status;
    }
}
