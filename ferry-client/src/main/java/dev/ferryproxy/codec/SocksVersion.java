package dev.ferryproxy.codec;

/** The SOCKS protocol versions Ferry speaks; the first byte a client sends is the version. */
public enum SocksVersion {
    /** SOCKS4 and its SOCKS4a extension (a host name instead of an IPv4 address). */
    SOCKS4((byte) 4),
    /** SOCKS5, RFC 1928. */
    SOCKS5((byte) 5);

    private final byte byteValue;

    SocksVersion(byte byteValue) {
        this.byteValue = byteValue;
    }

    /** The version byte on the wire. */
    public byte byteValue() {
        return byteValue;
    }

    /** The version for a first byte, or {@code null} when no SOCKS version starts with it. */
    public static SocksVersion fromFirstByte(byte b) {
        if (b == 4) {
            return SOCKS4;
        }
        if (b == 5) {
            return SOCKS5;
        }
        return null;
    }
}
