package dev.ferryproxy.client;

/** The proxy answered the request with a failure code: SOCKS5 REP other than 0, SOCKS4 CD other than 90. */
public final class SocksReplyException extends SocksException {
    private static final long serialVersionUID = 1L;

    private final SocksProtocol protocol;
    private final int replyCode;
    private final String meaning;

    /** The proxy refused the request with {@code replyCode}, which means {@code meaning}. */
    public SocksReplyException(SocksProtocol protocol, int replyCode, String meaning) {
        this(protocol, replyCode, meaning, null);
    }

    /** {@code proxy} (may be null) refused the request with {@code replyCode}, which means {@code meaning}. */
    public SocksReplyException(SocksProtocol protocol, int replyCode, String meaning, ProxyUri proxy) {
        super("request failed with " + (protocol.carriesIpv6() ? "SOCKS5 reply " + String.format("0x%02x", replyCode)
                : "SOCKS4 reply " + replyCode) + ": " + meaning, proxy, null);
        this.protocol = protocol;
        this.replyCode = replyCode;
        this.meaning = meaning;
    }

    static SocksReplyException of(SocksReply reply, ProxyUri proxy) {
        return new SocksReplyException(reply.protocol(), reply.replyCode(), reply.meaning(), proxy);
    }

    /** The protocol of the hop that refused: it says how to read {@link #replyCode()}. */
    public SocksProtocol protocol() {
        return protocol;
    }

    /** SOCKS5 REP (1..255) or SOCKS4 CD (91..93). */
    public int replyCode() {
        return replyCode;
    }

    /** The code's wording: RFC 1928 for SOCKS5, the SOCKS4 description for SOCKS4. */
    public String meaning() {
        return meaning;
    }
}
