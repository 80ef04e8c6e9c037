package dev.ferryproxy.benchmarks.load;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * Reads and drops everything, and reports the running total back to the client (see
 * {@link Wire}): the "up" direction is measured here, where the bytes arrive.
 */
final class SinkTarget extends ChannelInboundHandlerAdapter {
    private long received;
    private long reported = -1;
    private ScheduledFuture<?> reports;

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Wire.tuneForBulk(ctx.channel());
        reports = ctx.executor().scheduleAtFixedRate(() -> report(ctx), Wire.SINK_REPORT_MILLIS,
                Wire.SINK_REPORT_MILLIS, TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf) {
            received += ((ByteBuf) msg).readableBytes();
        }
        ReferenceCountUtil.release(msg);
    }

    private void report(ChannelHandlerContext ctx) {
        // Only when something changed, and never more than the socket takes at once: a count is
        // small, but a client that reads nothing must not make the sink queue without bound.
        if (received != reported && ctx.channel().isWritable()) {
            reported = received;
            ctx.writeAndFlush(Wire.count(ctx.alloc(), received));
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            // The client has sent everything: the last report is the exact total.
            cancelReports();
            ctx.writeAndFlush(Wire.count(ctx.alloc(), received)).addListener(ChannelFutureListener.CLOSE);
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelReports();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a reset from a client that went away
    }

    private void cancelReports() {
        if (reports != null) {
            reports.cancel(false);
            reports = null;
        }
    }
}
