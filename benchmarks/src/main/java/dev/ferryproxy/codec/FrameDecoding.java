package dev.ferryproxy.codec;

import io.netty.buffer.ByteBuf;

/**
 * Lets the codec benchmarks call {@link SocksFrameDecoder#decodeFrame} on its own: it is
 * protected, and going through a pipeline would measure Netty's cumulation rather than the
 * frame parsing. Lives in proxy-core's package (benchmarks run on the class path) for that access.
 */
public final class FrameDecoding {
    private FrameDecoding() {
    }

    /** One frame from {@code in}, as the decoder's pipeline would get it, or {@code null} when incomplete. */
    public static Object decodeFrame(SocksFrameDecoder decoder, ByteBuf in) {
        return decoder.decodeFrame(in);
    }
}
