package dev.ferryproxy.client;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayDeque;

/**
 * Left by a successful handshake where its handshake handler stood: holds what arrives between the
 * last reply and the moment the caller starts reading, and hands it on in order.
 *
 * <p>It holds the bytes that came right behind the reply (in the same read), any later reads (epoll
 * reads to the end of a stream when the peer hangs up, even with auto-read off), the end of input,
 * and the close that follows held bytes. The first {@code read()} that reaches it (the caller
 * turning auto-read on, or calling {@code channel.read()}) removes it: it then fires everything it
 * holds to the handlers after it, in order, and passes the read on. The replay runs as a task on
 * the event loop, after any {@code handlerAdded} a caller on another thread has queued. So a
 * caller adds its handlers with {@code addLast} and then starts reading, from any thread, and
 * sees the stream from its first byte.
 *
 * <p>When the channel closes before anyone read, what it holds is released.
 */
final class TunnelStartHold extends ChannelDuplexHandler {
    private static final Object INACTIVE = new Object();

    private final ArrayDeque<Object> held = new ArrayDeque<>(4);
    private boolean replayScheduled;
    private boolean replaying;

    /** Whether nothing is held. */
    boolean isEmpty() {
        return held.isEmpty();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        held.add(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // fired again, after the held reads, on replay
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            // An end of input that nobody sees would leave the caller waiting forever.
            held.add(ChannelInputShutdownEvent.INSTANCE);
            return;
        }
        if (evt instanceof ChannelInputShutdownReadComplete) {
            return; // replayed with the end of input
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (held.isEmpty()) {
            ctx.fireChannelInactive();
        } else {
            // after the bytes it follows
            held.add(INACTIVE);
        }
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (replayScheduled) {
            return; // the replay passes a read on
        }
        replayScheduled = true;
        // Not at once, but in a task: a caller who added its handlers from another thread, then
        // turned auto-read on, has its handlerAdded queued on the loop already; until that runs,
        // events would pass its handlers by. Epoll may also call read() from within a read batch
        // as soon as auto-read is on. Until the task runs, reads are still held.
        ctx.executor().execute(() -> {
            if (ctx.isRemoved()) {
                return;
            }
            replaying = true;
            ctx.pipeline().remove(this);
            // A removed context still passes operations on to its neighbours. Nothing is left to read
            // once the input has ended, and epoll will not watch such a socket.
            if (ctx.channel().isOpen() && (!(ctx.channel() instanceof DuplexChannel)
                    || !((DuplexChannel) ctx.channel()).isInputShutdown())) {
                ctx.read();
            }
        });
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (!replaying && !ctx.channel().isOpen()) {
            // The pipeline is being torn down after a close: nobody will ever read these.
            Object o;
            while ((o = held.poll()) != null) {
                ReferenceCountUtil.release(o);
            }
            return;
        }
        boolean reads = false;
        Object o;
        while ((o = held.poll()) != null) {
            if (o == ChannelInputShutdownEvent.INSTANCE) {
                if (reads) {
                    ctx.fireChannelReadComplete();
                    reads = false;
                }
                ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
                ctx.fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
            } else if (o == INACTIVE) {
                if (reads) {
                    ctx.fireChannelReadComplete();
                    reads = false;
                }
                ctx.fireChannelInactive();
            } else {
                ctx.fireChannelRead(o);
                reads = true;
            }
        }
        if (reads) {
            ctx.fireChannelReadComplete();
        }
    }
}
