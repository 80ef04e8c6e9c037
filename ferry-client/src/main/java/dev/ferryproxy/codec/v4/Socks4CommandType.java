package dev.ferryproxy.codec.v4;

/** The CD byte of a SOCKS4 request. */
public enum Socks4CommandType {
    CONNECT((byte) 0x01),
    BIND((byte) 0x02);

    private final byte byteValue;

    Socks4CommandType(byte byteValue) {
        this.byteValue = byteValue;
    }

    public byte byteValue() {
        return byteValue;
    }

    /** The command for a CD byte, or {@code null} when SOCKS4 defines none. */
    public static Socks4CommandType valueOf(byte cd) {
        switch (cd) {
            case 0x01:
                return CONNECT;
            case 0x02:
                return BIND;
            default:
                return null;
        }
    }
}
