package dev.ferryproxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.LongAdder;

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
 * have ended both channels close (the second end closes its channel at once, see
 * {@link #closeAtEndOfInput}). A reset or any other error closes both at once.
 *
 * <p>Shaping: a direction with a {@link ReadThrottle} (a bandwidth limit) tells it of every read
 * and pauses its reading for as long as the throttle says, through the channel's {@link ReadGate},
 * which also keeps backpressure's say. The sender is then slowed by TCP's flow control.
 *
 * <p>Counting: the readable bytes of each buffer read are added to a {@link LongAdder} (a metric
 * reads it at scrape time), which neither copies the buffer nor allocates.
 */
public final class RelayHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(RelayHandler.class);

    private final Channel peer;
    private final LongAdder bytesRead;
    private final RelayObserver observer;
    private final ReadThrottle throttle;

    public RelayHandler(Channel peer) {
        this(peer, new LongAdder());
    }

    /** A relay to {@code peer} that adds the bytes it reads to {@code bytesRead}. */
    public RelayHandler(Channel peer, LongAdder bytesRead) {
        this(peer, bytesRead, RelayObserver.NONE);
    }

    /** A relay to {@code peer} that adds the bytes it reads to {@code bytesRead} and tells {@code observer}. */
    public RelayHandler(Channel peer, LongAdder bytesRead, RelayObserver observer) {
        this(peer, bytesRead, observer, ReadThrottle.NONE);
    }

    /** A relay as above whose reading {@code throttle} paces. */
    public RelayHandler(Channel peer, LongAdder bytesRead, RelayObserver observer, ReadThrottle throttle) {
        this.peer = peer;
        this.bytesRead = bytesRead;
        this.observer = observer;
        this.throttle = throttle;
    }

    /** Joins two connected channels on the same event loop with a relay handler on each. */
    public static void join(Channel a, Channel b, String handlerName) {
        join(a, b, handlerName, new LongAdder(), new LongAdder());
    }

    /** Joins two channels, adding what is read from each to its counter. */
    public static void join(Channel a, Channel b, String handlerName, LongAdder readFromA, LongAdder readFromB) {
        join(a, b, handlerName, readFromA, readFromB, RelayObserver.NONE);
    }

    /** Joins two channels, adding what is read from each to its counter, and telling {@code observer}. */
    public static void join(Channel a, Channel b, String handlerName, LongAdder readFromA, LongAdder readFromB,
            RelayObserver observer) {
        join(a, b, handlerName, readFromA, readFromB, observer, ReadThrottle.NONE, ReadThrottle.NONE);
    }

    /** Joins two channels as above, pacing what is read from each with its throttle. */
    public static void join(Channel a, Channel b, String handlerName, LongAdder readFromA, LongAdder readFromB,
            RelayObserver observer, ReadThrottle throttleA, ReadThrottle throttleB) {
        if (throttleA != ReadThrottle.NONE) {
            ReadGate.install(a, throttleA);
        }
        if (throttleB != ReadThrottle.NONE) {
            ReadGate.install(b, throttleB);
        }
        a.pipeline().addLast(handlerName, new RelayHandler(b, readFromA, observer, throttleA));
        b.pipeline().addLast(handlerName, new RelayHandler(a, readFromB, observer, throttleB));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        int bytes = -1;
        if (msg instanceof ByteBuf) {
            bytes = ((ByteBuf) msg).readableBytes();
            bytesRead.add(bytes);
            observer.read(ctx.channel(), bytes);
        }
        // A write to a closed peer releases msg; its failure reaches the peer's pipeline, not ours.
        peer.write(msg, peer.voidPromise());
        if (bytes > 0 && throttle != ReadThrottle.NONE) {
            long pause = throttle.afterRead(bytes);
            if (pause > 0) {
                ReadGate.ifPresent(ctx.channel()).hold(pause);
            }
        }
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
     * nothing more to read, and asking epoll to watch it for input again fails. The exception is a
     * spliced channel whose end came before its last bytes were read ({@link SpliceRelay}).
     */
    public static void setReading(Channel channel, boolean reading) {
        ReadGate gate = ReadGate.ifPresent(channel);
        if (gate != null) {
            // A shaped channel: the gate weighs this against its bandwidth pause.
            gate.peerWritable(reading);
            return;
        }
        if (reading && channel instanceof DuplexChannel && ((DuplexChannel) channel).isInputShutdown()
                && !SpliceRelay.drainingAfterEnd(channel)) {
            return;
        }
        channel.config().setAutoRead(reading);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            observer.inputEnded(ctx.channel());
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
            if (!flushed.isSuccess() || duplexPeer.isInputShutdown()) {
                // Failed, or the peer's input had already ended: both directions are done, and a
                // close sends the same FIN without the exception Netty builds for a shutdownOutput.
                closeBoth(self);
                return;
            }
            duplexPeer.shutdownOutput().addListener(shut -> {
                // The peer's input had already ended too: both directions are done.
                if (!shut.isSuccess() || duplexPeer.isInputShutdown()) {
                    closeBoth(self);
                } else {
                    closeAtEndOfInput(peer);
                }
            });
        });
    }

    /**
     * Once a channel's output is shut, the end of its input ends the tunnel: with half-closure off,
     * Netty closes the channel at that end instead of shutting its input down first (a
     * {@code shutdown(SHUT_RD)} that fails with ENOTCONN by then, and an event nobody needs: this
     * side's end was already passed on). Its relay's {@link #channelInactive} then closes the
     * other side once what is queued for it has gone. Not for a spliced channel: its end of input
     * can come before its last bytes are spliced out ({@link SpliceRelay}).
     */
    private static void closeAtEndOfInput(Channel channel) {
        if (SpliceTap.of(channel) == null) {
            channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
        }
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
        observer.failed(ctx.channel(), cause);
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
