package dev.ferryproxy.benchmarks.load;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * Sends bulk data: reads the 8-byte count the client asks for (0: until the client goes away),
 * then writes chunks while the channel is writable, so its own memory stays bounded however
 * slowly the client reads. After a limited count it half-closes.
 */
final class SourceTarget extends ChannelInboundHandlerAdapter {
    private ByteBuf header;
    private ByteBuf chunk;
    private boolean sending;
    private boolean unlimited;
    private long remaining;

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Wire.tuneForBulk(ctx.channel());
        header = ctx.alloc().buffer(Wire.COUNT_BYTES, Wire.COUNT_BYTES);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (sending || !(msg instanceof ByteBuf) || header == null) {
                return; // nothing after the header means anything
            }
            ByteBuf in = (ByteBuf) msg;
            header.writeBytes(in, Math.min(in.readableBytes(), header.writableBytes()));
            if (header.isWritable()) {
                return;
            }
            long asked = header.readLong();
            releaseHeader();
            unlimited = asked == 0;
            remaining = asked;
            sending = true;
            chunk = Wire.newChunk(ctx.alloc());
            pump(ctx);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (sending) {
            pump(ctx);
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void pump(ChannelHandlerContext ctx) {
        boolean wrote = false;
        while (ctx.channel().isWritable() && (unlimited || remaining > 0)) {
            int length = unlimited ? Wire.CHUNK_BYTES : (int) Math.min(Wire.CHUNK_BYTES, remaining);
            ctx.write(chunk.retainedSlice(0, length), ctx.voidPromise());
            remaining -= length;
            wrote = true;
        }
        if (wrote) {
            ctx.flush();
        }
        if (!unlimited && remaining == 0) {
            sending = false;
            releaseChunk();
            Wire.shutdownOutputAfterWrites(ctx.channel());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            ctx.close(); // the client has gone: whatever is still to send has no reader
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        sending = false;
        releaseHeader();
        releaseChunk();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private void releaseHeader() {
        if (header != null) {
            header.release();
            header = null;
        }
    }

    private void releaseChunk() {
        if (chunk != null) {
            chunk.release();
            chunk = null;
        }
    }
}
