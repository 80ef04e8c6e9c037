package dev.ferryproxy.codec.v5;

import dev.ferryproxy.codec.SocksAddressCodec;
import dev.ferryproxy.codec.SocksAddressType;
import dev.ferryproxy.codec.SocksFrameDecoder;
import dev.ferryproxy.codec.SocksProtocolException;
import io.netty.buffer.ByteBuf;

/**
 * Decodes one SOCKS5 reply {@code VER=5, REP, RSV, ATYP, BND.ADDR, BND.PORT} into a
 * {@link Socks5CommandResponse}. Any REP decodes (the caller maps it); a VER other than 5, an
 * unknown ATYP or an empty domain name is malformed. RSV is not checked, as on the server side.
 */
public final class Socks5CommandResponseDecoder extends SocksFrameDecoder {
    private static final int HEADER_LENGTH = 4;

    @Override
    protected Object decodeFrame(ByteBuf in) {
        int start = in.readerIndex();
        int readable = in.readableBytes();
        if (readable >= 1 && in.getByte(start) != 5) {
            throw new SocksProtocolException(
                    String.format("version 0x%02x in a SOCKS5 reply (expected: 0x05)", in.getByte(start) & 0xFF));
        }
        if (readable < HEADER_LENGTH) {
            return null;
        }
        byte atyp = in.getByte(start + 3);
        // Throws UnsupportedAddressTypeException (a SocksProtocolException) for an unknown ATYP.
        int addressLength = SocksAddressCodec.addressFieldLength(in, start + HEADER_LENGTH, atyp);
        if (addressLength == SocksAddressCodec.NEED_MORE || readable < HEADER_LENGTH + addressLength + 2) {
            return null;
        }
        Socks5CommandResponse response = new Socks5CommandResponse(Socks5CommandStatus.valueOf(in.getByte(start + 1)),
                SocksAddressCodec.read(in, start + HEADER_LENGTH, SocksAddressType.valueOf(atyp)));
        in.skipBytes(HEADER_LENGTH + addressLength + 2);
        return response;
    }
}
