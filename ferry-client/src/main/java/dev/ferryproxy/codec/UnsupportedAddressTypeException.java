package dev.ferryproxy.codec;

/** An ATYP byte that names no address type (SOCKS5 reply 0x08). */
public final class UnsupportedAddressTypeException extends SocksProtocolException {
    private static final long serialVersionUID = 1L;

    public UnsupportedAddressTypeException(byte atyp) {
        super(String.format("unknown address type 0x%02x", atyp & 0xFF));
    }
}
