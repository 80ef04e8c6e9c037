package dev.ferryproxy.client;

import dev.ferryproxy.codec.SocksVersion;

import java.util.Locale;

/** How the client speaks to one proxy: the SOCKS version, and who resolves host names. */
public enum SocksProtocol {
    /** SOCKS4: IPv4 destinations only; names are resolved by the client. */
    SOCKS4("socks4", SocksVersion.SOCKS4, false),
    /** SOCKS4a: names are sent to the proxy, which resolves them; IPv4 addresses are sent as in SOCKS4. */
    SOCKS4A("socks4a", SocksVersion.SOCKS4, true),
    /** SOCKS5 (RFC 1928) with names resolved by the client. */
    SOCKS5("socks5", SocksVersion.SOCKS5, false),
    /** SOCKS5 with names sent to the proxy (ATYP 0x03), as curl's {@code socks5h://}. */
    SOCKS5H("socks5h", SocksVersion.SOCKS5, true);

    private final String scheme;
    private final SocksVersion version;
    private final boolean resolvesAtProxy;

    SocksProtocol(String scheme, SocksVersion version, boolean resolvesAtProxy) {
        this.scheme = scheme;
        this.version = version;
        this.resolvesAtProxy = resolvesAtProxy;
    }

    /** Whether host names go to the proxy (SOCKS4a, SOCKS5 domain) instead of being resolved here. */
    public boolean resolvesAtProxy() {
        return resolvesAtProxy;
    }

    /** The URI scheme: {@code socks4}, {@code socks4a}, {@code socks5} or {@code socks5h}. */
    public String scheme() {
        return scheme;
    }

    /** The wire version: SOCKS4 for SOCKS4 and SOCKS4a, SOCKS5 for SOCKS5 and SOCKS5H. */
    public SocksVersion version() {
        return version;
    }

    /** Whether this protocol can carry an IPv6 destination (only SOCKS5 can). */
    public boolean carriesIpv6() {
        return version == SocksVersion.SOCKS5;
    }

    /** Whether a username and password can be sent (RFC 1929, SOCKS5 only). */
    public boolean carriesCredentials() {
        return version == SocksVersion.SOCKS5;
    }

    /**
     * The protocol for a URI scheme, in any case.
     *
     * @throws IllegalArgumentException for any other scheme
     */
    public static SocksProtocol fromScheme(String scheme) {
        String lower = scheme.toLowerCase(Locale.ROOT);
        for (SocksProtocol protocol : values()) {
            if (protocol.scheme.equals(lower)) {
                return protocol;
            }
        }
        throw new IllegalArgumentException(
                "unknown scheme '" + scheme + "' (expected one of: socks4, socks4a, socks5, socks5h)");
    }
}
