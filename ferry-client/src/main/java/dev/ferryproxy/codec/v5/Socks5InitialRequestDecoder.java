package dev.ferryproxy.codec.v5;

import dev.ferryproxy.codec.SocksFrameDecoder;
import dev.ferryproxy.codec.SocksProtocolException;
import io.netty.buffer.ByteBuf;

import java.util.List;

/**
 * Decodes the SOCKS5 greeting {@code VER=5, NMETHODS, METHODS}. NMETHODS of 0 is answered with
 * 0xFF (no acceptable method), since no method can be chosen from an empty list.
 */
public final class Socks5InitialRequestDecoder extends SocksFrameDecoder {
    @Override
    protected Object decodeFrame(ByteBuf in) {
        int start = in.readerIndex();
        int readable = in.readableBytes();
        if (readable >= 1 && in.getByte(start) != 5) {
            // Not SOCKS5 at all: there is no reply the client would understand.
            throw new SocksProtocolException(
                    String.format("version 0x%02x in a SOCKS5 greeting", in.getByte(start) & 0xFF));
        }
        if (readable < 2) {
            return null;
        }
        int methodCount = in.getUnsignedByte(start + 1);
        if (methodCount == 0) {
            throw new SocksProtocolException("greeting offers no methods (NMETHODS 0)",
                    Socks5InitialResponse.NO_ACCEPTABLE_METHOD);
        }
        if (readable < 2 + methodCount) {
            return null;
        }
        Socks5AuthMethod[] methods = new Socks5AuthMethod[methodCount];
        for (int i = 0; i < methodCount; i++) {
            methods[i] = Socks5AuthMethod.valueOf(in.getByte(start + 2 + i));
        }
        in.skipBytes(2 + methodCount);
        // An immutable list, which the record's List.copyOf keeps as it is instead of copying again.
        return new Socks5InitialRequest(List.of(methods));
    }
}
