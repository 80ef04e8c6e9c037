package dev.ferryproxy.codec;

import static dev.ferryproxy.codec.CodecTestSupport.decode;
import static dev.ferryproxy.codec.CodecTestSupport.hex;
import static dev.ferryproxy.codec.CodecTestSupport.oneBytePerChunk;
import static dev.ferryproxy.codec.CodecTestSupport.range;
import static dev.ferryproxy.codec.CodecTestSupport.splitAt;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.codec.CodecTestSupport.DecodeOutcome;
import io.netty.channel.ChannelHandler;
import java.util.List;
import java.util.function.Supplier;

/**
 * The framing contract every {@link SocksFrameDecoder} keeps, checked the same way for each:
 * a frame decodes the same however TCP splits it, only once its last byte has arrived, and an
 * incomplete frame is held whole.
 */
public final class FramingContract {
    private FramingContract() {
    }

    /** Each frame, cut in two at every byte boundary, decodes to what it decodes to whole. */
    public static <T> void assertDecodesTheSameSplitAtEveryBoundary(Supplier<? extends ChannelHandler> decoder,
            Class<T> type, List<byte[]> frames) {
        for (byte[] frame : frames) {
            T expected = decode(decoder.get(), frame).single(type);
            for (int cut = 1; cut < frame.length; cut++) {
                DecodeOutcome outcome = decode(decoder.get(), splitAt(frame, cut));
                assertThat(outcome.single(type)).as("cut at %d of %s", cut, hex(frame)).isEqualTo(expected);
                assertThat(outcome.messageChunks).containsExactly(1);
                assertThat(outcome.leftover()).isEmpty();
            }
        }
    }

    /** Each frame, written one byte at a time, decodes once, on its last byte. */
    public static <T> void assertDecodesOnTheLastByteOneBytePerWrite(Supplier<? extends ChannelHandler> decoder,
            Class<T> type, List<byte[]> frames) {
        for (byte[] frame : frames) {
            DecodeOutcome outcome = decode(decoder.get(), oneBytePerChunk(frame));
            assertThat(outcome.single(type)).isEqualTo(decode(decoder.get(), frame).single(type));
            assertThat(outcome.messageChunks).as("emitted on the last byte").containsExactly(frame.length - 1);
            assertThat(outcome.leftover()).isEmpty();
        }
    }

    /** Every strict prefix of each frame decodes to nothing and is held whole. */
    public static void assertEveryStrictPrefixIsIncompleteAndHeldWhole(Supplier<? extends ChannelHandler> decoder,
            List<byte[]> frames) {
        for (byte[] frame : frames) {
            for (int length = 0; length < frame.length; length++) {
                byte[] prefix = range(frame, 0, length);
                decode(decoder.get(), prefix).assertIncomplete(prefix);
            }
        }
    }
}
