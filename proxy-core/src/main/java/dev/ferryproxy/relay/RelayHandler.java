package dev.ferryproxy.relay;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One direction of a tunnel: everything read on this channel is written to the peer as the same
 * buffer, with no copy, and flushed once per read batch.
 *
 * <p>Backpressure: when the peer's outbound buffer passes its high water mark the peer becomes
 * unwritable, and its own relay handler turns auto-read off here (see
 * {@link #channelWritabilityChanged}); reading resumes when the peer drains below the low mark.
 * Memory per tunnel is therefore bounded by the water marks plus one read batch.
 *
 * <p>Half-close: when this side's input ends, the peer's output is shut down once everything
 * written to it has gone out, so the peer sees EOF and can still answer. When both directions
 * have ended both channels close. A reset or any other error closes both at once.
 */
public final class RelayHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(RelayHandler.class);

    private final Channel peer;

    public RelayHandler(Channel peer) {
        this.peer = peer;
    }

    /** Joins two connected channels on the same event loop with a relay handler on each. */
    public static void join(Channel a, Channel b, String handlerName) {
        a.pipeline().addLast(handlerName, new RelayHandler(b));
        b.pipeline().addLast(handlerName, new RelayHandler(a));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // A write to a closed peer releases msg; its failure reaches the peer's pipeline, not ours.
        peer.write(msg, peer.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // Our outbound buffer filled (or drained): stop (or resume) reading what fills it.
        setReading(peer, ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    /**
     * Turns a channel's reading on or off. A channel whose input has ended is left alone: there is
     * nothing more to read, and asking epoll to watch it for input again fails.
     */
    public static void setReading(Channel channel, boolean reading) {
        if (reading && channel instanceof DuplexChannel && ((DuplexChannel) channel).isInputShutdown()) {
            return;
        }
        channel.config().setAutoRead(reading);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            forwardEndOfInput(ctx.channel());
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void forwardEndOfInput(Channel self) {
        if (!(peer instanceof DuplexChannel)) {
            closeAfterFlush(peer);
            return;
        }
        DuplexChannel duplexPeer = (DuplexChannel) peer;
        // shutdownOutput discards what is still queued, so wait for the queue to drain first.
        peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(flushed -> {
            if (!flushed.isSuccess()) {
                closeBoth(self);
                return;
            }
            duplexPeer.shutdownOutput().addListener(shut -> {
                // The peer's input had already ended too: both directions are done.
                if (!shut.isSuccess() || duplexPeer.isInputShutdown()) {
                    closeBoth(self);
                }
            });
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeAfterFlush(peer);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("relay {} -> {} failed, closing both: {}", ctx.channel().remoteAddress(), peer.remoteAddress(),
                cause.toString());
        closeBoth(ctx.channel());
    }

    private void closeBoth(Channel self) {
        self.close();
        peer.close();
    }

    private static void closeAfterFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
