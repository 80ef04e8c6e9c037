package dev.ferryproxy.udp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Keeps small datagrams from holding large buffers.
 *
 * <p>The relay reads every datagram into a buffer as large as the largest datagram it relays
 * (64 KiB by default), since a smaller one would cut longer datagrams short without a word. A
 * payload passed on as a slice of that buffer holds all of it until it is sent, or while it waits
 * for a name to resolve: a thousand queued 50-byte datagrams would hold 64 MiB. A payload that
 * fills less than half of its buffer is therefore copied into one of its own size, and the read
 * buffer goes back to the pool at once. The copy is of a small datagram, so it is cheap; larger
 * ones stay slices.
 */
final class UdpBuffers {
    private UdpBuffers() {
    }

    /**
     * {@code payload}, or a copy of it in a buffer of its own size when it fills less than half of
     * the buffer it is a slice of. Takes ownership of {@code payload}.
     */
    static ByteBuf rightSized(ByteBuf payload, ByteBufAllocator alloc) {
        ByteBuf holder = payload;
        // Through leak-detection wrappers and slices, down to the buffer that holds the memory.
        for (ByteBuf inner = holder.unwrap(); inner != null; inner = inner.unwrap()) {
            holder = inner;
        }
        int readable = payload.readableBytes();
        if (readable * 2L > holder.capacity()) {
            return payload;
        }
        try {
            ByteBuf copy = alloc.directBuffer(readable, readable);
            return copy.writeBytes(payload, payload.readerIndex(), readable);
        } finally {
            payload.release();
        }
    }
}
