package dev.ferryproxy.codec.v5;

import dev.ferryproxy.codec.SocksFrameDecoder;
import dev.ferryproxy.codec.SocksProtocolException;
import io.netty.buffer.ByteBuf;

/**
 * Decodes the RFC 1929 reply {@code VER=1, STATUS} into a {@link Socks5PasswordAuthResponse}.
 * STATUS 0 is success and any other value failure; a VER other than 1 is malformed.
 */
public final class Socks5PasswordAuthResponseDecoder extends SocksFrameDecoder {
    private static final int LENGTH = 2;

    @Override
    protected Object decodeFrame(ByteBuf in) {
        int start = in.readerIndex();
        int readable = in.readableBytes();
        if (readable >= 1 && in.getByte(start) != 1) {
            throw new SocksProtocolException(String.format(
                    "version 0x%02x in a username/password reply (expected: 0x01)", in.getByte(start) & 0xFF));
        }
        if (readable < LENGTH) {
            return null;
        }
        Socks5PasswordAuthResponse response = new Socks5PasswordAuthResponse(in.getByte(start + 1));
        in.skipBytes(LENGTH);
        return response;
    }
}
