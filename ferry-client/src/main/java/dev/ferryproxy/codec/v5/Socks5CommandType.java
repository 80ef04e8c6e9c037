package dev.ferryproxy.codec.v5;

/** The CMD byte of a SOCKS5 request. Open: an unknown byte decodes too, and is answered with 0x07. */
public record Socks5CommandType(byte byteValue) {
    public static final Socks5CommandType CONNECT = new Socks5CommandType((byte) 0x01);
    public static final Socks5CommandType BIND = new Socks5CommandType((byte) 0x02);
    public static final Socks5CommandType UDP_ASSOCIATE = new Socks5CommandType((byte) 0x03);

    /** The command for a CMD byte; the known ones without allocating. */
    public static Socks5CommandType valueOf(byte b) {
        switch (b) {
            case 0x01:
                return CONNECT;
            case 0x02:
                return BIND;
            case 0x03:
                return UDP_ASSOCIATE;
            default:
                return new Socks5CommandType(b);
        }
    }

    @Override
    public String toString() {
        switch (byteValue) {
            case 0x01:
                return "CONNECT";
            case 0x02:
                return "BIND";
            case 0x03:
                return "UDP_ASSOCIATE";
            default:
                return String.format("COMMAND(0x%02x)", byteValue & 0xFF);
        }
    }
}
