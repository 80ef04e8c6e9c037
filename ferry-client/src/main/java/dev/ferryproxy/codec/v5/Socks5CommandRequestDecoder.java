package dev.ferryproxy.codec.v5;

import dev.ferryproxy.codec.SocksAddressCodec;
import dev.ferryproxy.codec.SocksAddressType;
import dev.ferryproxy.codec.SocksFrameDecoder;
import dev.ferryproxy.codec.SocksProtocolException;
import dev.ferryproxy.codec.UnsupportedAddressTypeException;
import io.netty.buffer.ByteBuf;

/**
 * Decodes a SOCKS5 request {@code VER=5, CMD, RSV, ATYP, DST.ADDR, DST.PORT}.
 *
 * <p>An unknown CMD still decodes (the handler answers 0x07). An unknown ATYP is answered with
 * 0x08, a wrong version or an empty domain name with 0x01. RSV is not checked: RFC 1928 reserves
 * it, and rejecting a client for a reserved byte helps no one.
 */
public final class Socks5CommandRequestDecoder extends SocksFrameDecoder {
    private static final int HEADER_LENGTH = 4;

    @Override
    protected Object decodeFrame(ByteBuf in) {
        int start = in.readerIndex();
        int readable = in.readableBytes();
        if (readable >= 1 && in.getByte(start) != 5) {
            throw failure(String.format("version 0x%02x in a SOCKS5 request", in.getByte(start) & 0xFF),
                    Socks5CommandStatus.FAILURE);
        }
        if (readable < HEADER_LENGTH) {
            return null;
        }
        byte atyp = in.getByte(start + 3);
        int addressLength;
        try {
            addressLength = SocksAddressCodec.addressFieldLength(in, start + HEADER_LENGTH, atyp);
        } catch (UnsupportedAddressTypeException e) {
            throw failure(e.getMessage(), Socks5CommandStatus.ADDRESS_UNSUPPORTED);
        } catch (SocksProtocolException e) {
            throw failure(e.getMessage(), Socks5CommandStatus.FAILURE);
        }
        if (addressLength == SocksAddressCodec.NEED_MORE || readable < HEADER_LENGTH + addressLength + 2) {
            return null;
        }
        Socks5CommandType type = Socks5CommandType.valueOf(in.getByte(start + 1));
        Socks5CommandRequest request = new Socks5CommandRequest(type,
                SocksAddressCodec.read(in, start + HEADER_LENGTH, SocksAddressType.valueOf(atyp)));
        in.skipBytes(HEADER_LENGTH + addressLength + 2);
        return request;
    }

    private static SocksProtocolException failure(String reason, Socks5CommandStatus status) {
        return new SocksProtocolException(reason, Socks5CommandResponse.failure(status));
    }
}
