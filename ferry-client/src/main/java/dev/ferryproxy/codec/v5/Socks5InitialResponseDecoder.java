package dev.ferryproxy.codec.v5;

import dev.ferryproxy.codec.SocksFrameDecoder;
import dev.ferryproxy.codec.SocksProtocolException;
import io.netty.buffer.ByteBuf;

/**
 * Decodes the server's method selection {@code VER=5, METHOD} into a {@link Socks5InitialResponse}.
 * Any METHOD byte decodes (0xFF is "no acceptable method"); whether the client offered it is for
 * the client to check. A VER other than 5 is malformed.
 */
public final class Socks5InitialResponseDecoder extends SocksFrameDecoder {
    private static final int LENGTH = 2;

    @Override
    protected Object decodeFrame(ByteBuf in) {
        int start = in.readerIndex();
        int readable = in.readableBytes();
        if (readable >= 1 && in.getByte(start) != 5) {
            throw new SocksProtocolException(
                    String.format("version 0x%02x in a SOCKS5 method selection (expected: 0x05)", in.getByte(start) & 0xFF));
        }
        if (readable < LENGTH) {
            return null;
        }
        Socks5InitialResponse response = new Socks5InitialResponse(Socks5AuthMethod.valueOf(in.getByte(start + 1)));
        in.skipBytes(LENGTH);
        return response;
    }
}
