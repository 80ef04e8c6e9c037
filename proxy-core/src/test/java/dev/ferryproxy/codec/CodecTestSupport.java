package dev.ferryproxy.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Byte helpers and an {@link EmbeddedChannel} harness for the codec tests.
 *
 * <p>{@link #decode} puts a decoder in front of a capturing handler, writes the input chunk by
 * chunk, then removes the decoder from the pipeline (which forwards its leftover bytes to the
 * capturing handler) and records everything that reached the capturing handler: decoded
 * messages, exceptions, and the bytes forwarded before and on removal. Every buffer is released
 * exactly once: input buffers by the decoder, forwarded buffers by the capturing handler, the
 * channel by {@link EmbeddedChannel#finishAndReleaseAll()}.
 */
public final class CodecTestSupport {
    private CodecTestSupport() {
    }

    // ---- bytes -------------------------------------------------------------------------------

    /** Bytes from ints, each taken modulo 256 (so 0xFF and -1 are the same byte). */
    public static byte[] bytes(int... values) {
        byte[] result = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = (byte) values[i];
        }
        return result;
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    public static byte[] filled(int length, int value) {
        byte[] result = new byte[length];
        Arrays.fill(result, (byte) value);
        return result;
    }

    /** One byte per char (chars must be 0..255). */
    public static byte[] latin1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    public static String latin1(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** A port as its two bytes, big-endian. */
    public static byte[] port(int port) {
        return bytes(port >>> 8, port);
    }

    public static byte[] range(byte[] b, int from, int to) {
        return Arrays.copyOfRange(b, from, to);
    }

    public static String hex(byte[] b) {
        return ByteBufUtil.hexDump(b);
    }

    /** A buffer from the channel's (pooled, leak-tracked) allocator holding a copy of {@code b}. */
    public static ByteBuf buffer(byte[] b) {
        ByteBuf buf = ByteBufAllocator.DEFAULT.buffer(Math.max(1, b.length));
        return buf.writeBytes(b);
    }

    /** The readable bytes of {@code buf}, without moving its reader index or releasing it. */
    public static byte[] readableBytesOf(ByteBuf buf) {
        return ByteBufUtil.getBytes(buf);
    }

    // ---- splitting -----------------------------------------------------------------------------

    public static List<byte[]> whole(byte[] input) {
        return List.of(input);
    }

    /** Splits at the given ascending offsets (each 0 < cut < length; duplicates give no empty chunk). */
    public static List<byte[]> splitAt(byte[] input, int... cuts) {
        List<byte[]> chunks = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            if (cut > from && cut < input.length) {
                chunks.add(Arrays.copyOfRange(input, from, cut));
                from = cut;
            }
        }
        chunks.add(Arrays.copyOfRange(input, from, input.length));
        return chunks;
    }

    public static List<byte[]> oneBytePerChunk(byte[] input) {
        List<byte[]> chunks = new ArrayList<>(input.length);
        for (byte b : input) {
            chunks.add(new byte[] {b});
        }
        return chunks;
    }

    /** A random split: usually 1..5 chunks, sometimes one byte per chunk. */
    public static List<byte[]> randomSplit(byte[] input, Random random) {
        if (input.length <= 1) {
            return whole(input);
        }
        if (input.length <= 64 && random.nextInt(20) == 0) {
            return oneBytePerChunk(input);
        }
        int cutCount = random.nextInt(5);
        int[] cuts = new int[cutCount];
        for (int i = 0; i < cutCount; i++) {
            cuts[i] = 1 + random.nextInt(input.length - 1);
        }
        Arrays.sort(cuts);
        return splitAt(input, cuts);
    }

    /** The index of the chunk that holds input byte {@code offset}. */
    public static int chunkIndexOf(List<byte[]> chunks, int offset) {
        int end = 0;
        for (int i = 0; i < chunks.size(); i++) {
            end += chunks.get(i).length;
            if (offset < end) {
                return i;
            }
        }
        throw new IllegalArgumentException("offset " + offset + " beyond " + end + " bytes");
    }

    public static String describeChunks(List<byte[]> chunks) {
        List<String> parts = new ArrayList<>();
        for (byte[] chunk : chunks) {
            parts.add(hex(chunk));
        }
        return String.join(" | ", parts);
    }

    // ---- the harness ---------------------------------------------------------------------------

    /** How {@link #decode} allocates the buffers it writes. */
    public enum InputBuffers {
        /** From the pooled default allocator: tracked by the PARANOID leak detector. */
        LEAK_TRACKED,
        /**
         * Unpooled and untracked (fast: PARANOID records a stack trace on every access of a tracked
         * buffer), and checked exactly instead: every one must have reference count 0 at the end.
         */
        REF_COUNT_CHECKED
    }

    private static final ByteBufAllocator UNTRACKED = new UnpooledByteBufAllocator(false, true);

    /** Decodes {@code chunks} and removes the decoder afterwards. */
    public static DecodeOutcome decode(ChannelHandler decoder, List<byte[]> chunks) {
        return decode(decoder, chunks, false);
    }

    public static DecodeOutcome decode(ChannelHandler decoder, byte[] input) {
        return decode(decoder, whole(input), false);
    }

    /**
     * Decodes {@code chunks}.
     *
     * @param removeOnFrame when true, the capturing handler removes the decoder from inside its
     *     {@code channelRead} of the decoded frame, as a handshake handler does; otherwise the test
     *     removes the decoder after the last write
     */
    public static DecodeOutcome decode(ChannelHandler decoder, List<byte[]> chunks, boolean removeOnFrame) {
        return decode(decoder, chunks, removeOnFrame, InputBuffers.LEAK_TRACKED);
    }

    public static DecodeOutcome decode(ChannelHandler decoder, List<byte[]> chunks, InputBuffers inputBuffers) {
        return decode(decoder, chunks, false, inputBuffers);
    }

    public static DecodeOutcome decode(ChannelHandler decoder, List<byte[]> chunks, boolean removeOnFrame,
            InputBuffers inputBuffers) {
        Capture capture = new Capture(decoder, removeOnFrame);
        EmbeddedChannel channel = new EmbeddedChannel(decoder, capture);
        List<ByteBuf> written = new ArrayList<>(chunks.size());
        DecodeOutcome outcome;
        try {
            for (int i = 0; i < chunks.size(); i++) {
                capture.chunk = i;
                ByteBuf input;
                if (inputBuffers == InputBuffers.REF_COUNT_CHECKED) {
                    input = UNTRACKED.heapBuffer(chunks.get(i).length).writeBytes(chunks.get(i));
                    written.add(input);
                } else {
                    input = buffer(chunks.get(i));
                }
                channel.writeInbound(input);
            }
            capture.chunk = chunks.size();
            if (channel.pipeline().context(decoder) != null) {
                capture.removedByTest = true;
                channel.pipeline().remove(decoder);
            }
            channel.checkException();
            assertThat(channel.<Object>readInbound()).as("nothing passes the capturing handler").isNull();
            outcome = capture.outcome();
        } finally {
            channel.finishAndReleaseAll();
        }
        for (int i = 0; i < written.size(); i++) {
            assertThat(written.get(i).refCnt()).as("input buffer %d released exactly once", i).isZero();
        }
        return outcome;
    }

    /** What reached the handler after a decoder. */
    public static final class DecodeOutcome {
        /** Decoded messages (anything but a ByteBuf), in order. */
        public final List<Object> messages;
        /** For each message, the index of the write during which it arrived. */
        public final List<Integer> messageChunks;
        public final List<Throwable> exceptions;
        /** For each exception, the index of the write during which it arrived. */
        public final List<Integer> exceptionChunks;
        /** Bytes forwarded as ByteBuf while the decoder was in the pipeline (ours: never). */
        public final byte[] forwardedWhileInPipeline;
        /** Bytes forwarded as ByteBuf when the decoder was removed: its leftover. */
        public final byte[] forwardedOnRemoval;
        /** Number of ByteBufs forwarded on removal. */
        public final int buffersOnRemoval;

        DecodeOutcome(List<Object> messages, List<Integer> messageChunks, List<Throwable> exceptions,
                List<Integer> exceptionChunks, byte[] forwardedWhileInPipeline, byte[] forwardedOnRemoval,
                int buffersOnRemoval) {
            this.messages = Collections.unmodifiableList(messages);
            this.messageChunks = Collections.unmodifiableList(messageChunks);
            this.exceptions = Collections.unmodifiableList(exceptions);
            this.exceptionChunks = Collections.unmodifiableList(exceptionChunks);
            this.forwardedWhileInPipeline = forwardedWhileInPipeline;
            this.forwardedOnRemoval = forwardedOnRemoval;
            this.buffersOnRemoval = buffersOnRemoval;
        }

        /** All bytes that left the decoder as ByteBuf, in order. */
        public byte[] leftover() {
            return concat(forwardedWhileInPipeline, forwardedOnRemoval);
        }

        public boolean isIncomplete() {
            return messages.isEmpty() && exceptions.isEmpty();
        }

        public boolean isFailure() {
            return !exceptions.isEmpty();
        }

        /** Asserts exactly one message and no exception, and returns the message as {@code type}. */
        public <T> T single(Class<T> type) {
            assertThat(exceptions).as("exceptions of %s", this).isEmpty();
            assertThat(messages).as("messages of %s", this).hasSize(1);
            assertThat(messages.get(0)).isInstanceOf(type);
            return type.cast(messages.get(0));
        }

        /** Asserts exactly one SocksProtocolException, no message and no leftover; returns it. */
        public SocksProtocolException failure() {
            assertThat(messages).as("messages of %s", this).isEmpty();
            assertThat(exceptions).as("exceptions of %s", this).hasSize(1);
            assertThat(exceptions.get(0)).isInstanceOf(SocksProtocolException.class);
            assertThat(leftover()).as("bytes after a protocol fault are discarded, not forwarded").isEmpty();
            return (SocksProtocolException) exceptions.get(0);
        }

        /** Asserts nothing decoded and nothing failed: the input is all still held (leftover). */
        public void assertIncomplete(byte[] input) {
            assertThat(messages).as("messages of %s", this).isEmpty();
            assertThat(exceptions).as("exceptions of %s", this).isEmpty();
            assertThat(forwardedWhileInPipeline).isEmpty();
            assertThat(forwardedOnRemoval).as("an incomplete frame is held whole").isEqualTo(input);
        }

        @Override
        public String toString() {
            return "DecodeOutcome[messages=" + messages + " at chunks " + messageChunks
                    + ", exceptions=" + exceptions + " at chunks " + exceptionChunks
                    + ", forwardedWhileInPipeline=" + hex(forwardedWhileInPipeline)
                    + ", forwardedOnRemoval=" + hex(forwardedOnRemoval) + "]";
        }
    }

    private static final class Capture extends ChannelInboundHandlerAdapter {
        private final ChannelHandler decoder;
        private final boolean removeOnFrame;
        private final List<Object> messages = new ArrayList<>();
        private final List<Integer> messageChunks = new ArrayList<>();
        private final List<Throwable> exceptions = new ArrayList<>();
        private final List<Integer> exceptionChunks = new ArrayList<>();
        private final ByteArrayOutputStream whileInPipeline = new ByteArrayOutputStream();
        private final ByteArrayOutputStream onRemoval = new ByteArrayOutputStream();
        private int buffersOnRemoval;
        int chunk;
        boolean removedByTest;
        private boolean removing;

        Capture(ChannelHandler decoder, boolean removeOnFrame) {
            this.decoder = decoder;
            this.removeOnFrame = removeOnFrame;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf) {
                ByteBuf buf = (ByteBuf) msg;
                try {
                    if (removedByTest || removing) {
                        onRemoval.writeBytes(readableBytesOf(buf));
                        buffersOnRemoval++;
                    } else {
                        whileInPipeline.writeBytes(readableBytesOf(buf));
                    }
                } finally {
                    buf.release();
                }
                return;
            }
            messages.add(msg);
            messageChunks.add(chunk);
            ReferenceCountUtil.release(msg);
            if (removeOnFrame && ctx.pipeline().context(decoder) != null) {
                // as a handshake handler does: take the decoder out on its frame; its leftover
                // arrives here, re-entrantly, before this call returns
                removing = true;
                ctx.pipeline().remove(decoder);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            exceptions.add(cause);
            exceptionChunks.add(chunk);
        }

        DecodeOutcome outcome() {
            return new DecodeOutcome(new ArrayList<>(messages), new ArrayList<>(messageChunks),
                    new ArrayList<>(exceptions), new ArrayList<>(exceptionChunks), whileInPipeline.toByteArray(),
                    onRemoval.toByteArray(), buffersOnRemoval);
        }
    }
}
