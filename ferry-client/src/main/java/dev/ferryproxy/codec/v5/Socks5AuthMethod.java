package dev.ferryproxy.codec.v5;

/**
 * A SOCKS5 authentication method byte. Open: every byte value is a method (0x03..0x7F IANA,
 * 0x80..0xFE private), the well-known ones have constants.
 */
public record Socks5AuthMethod(byte byteValue) {
    public static final Socks5AuthMethod NO_AUTH = new Socks5AuthMethod((byte) 0x00);
    public static final Socks5AuthMethod GSSAPI = new Socks5AuthMethod((byte) 0x01);
    public static final Socks5AuthMethod PASSWORD = new Socks5AuthMethod((byte) 0x02);
    /** 0xFF: no acceptable method; the client closes. */
    public static final Socks5AuthMethod UNACCEPTED = new Socks5AuthMethod((byte) 0xFF);

    private static final Socks5AuthMethod[] ALL = new Socks5AuthMethod[256];

    static {
        for (int i = 0; i < ALL.length; i++) {
            ALL[i] = new Socks5AuthMethod((byte) i);
        }
        ALL[0x00] = NO_AUTH;
        ALL[0x01] = GSSAPI;
        ALL[0x02] = PASSWORD;
        ALL[0xFF] = UNACCEPTED;
    }

    /** The method for a byte, without allocating. */
    public static Socks5AuthMethod valueOf(byte b) {
        return ALL[b & 0xFF];
    }

    @Override
    public String toString() {
        switch (byteValue & 0xFF) {
            case 0x00:
                return "NO_AUTH";
            case 0x01:
                return "GSSAPI";
            case 0x02:
                return "PASSWORD";
            case 0xFF:
                return "UNACCEPTED";
            default:
                return String.format("METHOD(0x%02x)", byteValue & 0xFF);
        }
    }
}
