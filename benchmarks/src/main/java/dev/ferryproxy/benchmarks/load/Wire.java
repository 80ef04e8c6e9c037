package dev.ferryproxy.benchmarks.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.DuplexChannel;

/**
 * What the generator and its targets agree on, and the socket settings both sides use.
 *
 * <p>The source target reads an 8-byte big-endian byte count first (0: send until the client
 * goes away). The sink target sends back its cumulative received count as 8-byte big-endian
 * records, every {@link #SINK_REPORT_MILLIS} ms and once more when its input ends, so "up"
 * throughput is measured where the bytes arrive, even when the targets run in another process.
 */
final class Wire {
    /** The chunk every bulk writer writes: large, so that per-write costs vanish next to the copy. */
    static final int CHUNK_BYTES = 256 * 1024;
    /** How often the sink reports what it has received. */
    static final int SINK_REPORT_MILLIS = 50;
    /** One count on the wire. */
    static final int COUNT_BYTES = Long.BYTES;

    /**
     * Writers keep a few chunks queued, so the socket never waits for the event loop; the default
     * (64 KiB) would make a channel unwritable after each chunk.
     */
    static final WriteBufferWaterMark BULK_WATER_MARK = new WriteBufferWaterMark(CHUNK_BYTES * 2, CHUNK_BYTES * 4);

    private Wire() {
    }

    /** Large reads for bulk data: up to 1 MiB per read, so one read call moves what the socket holds. */
    static void tuneForBulk(Channel channel) {
        channel.config().setRecvByteBufAllocator(new AdaptiveRecvByteBufAllocator(4096, 64 * 1024, 1024 * 1024));
        channel.config().setWriteBufferWaterMark(BULK_WATER_MARK);
    }

    /** Sets the options every connection of the generator and of its targets has. */
    static <B extends io.netty.bootstrap.AbstractBootstrap<B, ?>> B socketOptions(B bootstrap) {
        return bootstrap.option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true);
    }

    /** A chunk of zeros from the pooled direct allocator; the writer shares it with retained duplicates. */
    static ByteBuf newChunk(ByteBufAllocator alloc) {
        ByteBuf chunk = alloc.directBuffer(CHUNK_BYTES, CHUNK_BYTES);
        chunk.writeZero(CHUNK_BYTES);
        return chunk;
    }

    static ByteBuf count(ByteBufAllocator alloc, long value) {
        return alloc.buffer(COUNT_BYTES, COUNT_BYTES).writeLong(value);
    }

    /**
     * Half-closes once everything written so far has gone out: Netty's shutdownOutput fails the
     * writes still queued, so it waits for an empty write queued behind them. Closes a channel
     * that cannot half-close.
     */
    static void shutdownOutputAfterWrites(Channel channel) {
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            if (channel instanceof DuplexChannel) {
                ((DuplexChannel) channel).shutdownOutput();
            } else {
                channel.close();
            }
        });
    }
}
