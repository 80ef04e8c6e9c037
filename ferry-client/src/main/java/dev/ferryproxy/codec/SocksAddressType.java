package dev.ferryproxy.codec;

/** How a SOCKS5 address is encoded on the wire (the ATYP byte). SOCKS4 uses IPV4, SOCKS4a DOMAIN. */
public enum SocksAddressType {
    IPV4((byte) 0x01),
    DOMAIN((byte) 0x03),
    IPV6((byte) 0x04);

    private final byte byteValue;

    SocksAddressType(byte byteValue) {
        this.byteValue = byteValue;
    }

    /** The ATYP byte. */
    public byte byteValue() {
        return byteValue;
    }

    /** The type for an ATYP byte, or {@code null} when the byte names no type this protocol defines. */
    public static SocksAddressType valueOf(byte atyp) {
        switch (atyp) {
            case 0x01:
                return IPV4;
            case 0x03:
                return DOMAIN;
            case 0x04:
                return IPV6;
            default:
                return null;
        }
    }
}
