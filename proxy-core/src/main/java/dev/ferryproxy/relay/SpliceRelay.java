package dev.ferryproxy.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.LongAdder;

/**
 * One direction of a tunnel carried by kernel splice (epoll's {@code spliceTo}): the bytes go from
 * the source socket through a pipe to the peer's socket and never enter the JVM. It sits in front
 * of the source's {@link RelayHandler}, which still handles everything else: buffers read before
 * the splice began or after it ended, the end of input, errors and close.
 *
 * <p>Backpressure is Netty's: a piece the peer's socket does not take at once turns the source's
 * auto-read off until it has gone. Bytes are counted by the source's {@link SpliceTap}.
 *
 * <p>The end of input: with a splice pending, Netty signals EOF (on EPOLLRDHUP) after one
 * splice attempt, possibly with bytes still in the socket, and then never reads the socket to
 * its end. So the end of input is held back here, the splice is stopped ({@link SpliceTap#stopSplicing}),
 * the rest is read in buffers through the relay, and the end is passed on once Netty has read the
 * socket to EOF ({@link ChannelInputShutdownReadComplete}). Only then does the relay shut the
 * peer's output down, after everything queued for it, spliced pieces included, has gone.
 */
public final class SpliceRelay extends ChannelInboundHandlerAdapter {
    /** This handler's name in the source's pipeline, in front of {@code relay}. */
    public static final String NAME = "splice";
    private static final Logger log = LoggerFactory.getLogger(SpliceRelay.class);

    private final Channel peer;
    private final RelayObserver observer;
    private boolean splicing = true;
    private boolean endHeld;

    private SpliceRelay(Channel peer, RelayObserver observer) {
        this.peer = peer;
        this.observer = observer;
    }

    /**
     * Splices from {@code source} to {@code peer} from now on, if both can: epoll channels on one
     * event loop, both open the needed way, {@code source} with a {@link SpliceTap} and nothing
     * held in front of its relay handler (named {@code relayName}). Returns whether it did;
     * otherwise that direction stays with its relay handler's buffers.
     */
    @SuppressWarnings("deprecation") // spliceTo: deprecated in Netty 4.2, measured and kept behind a setting
    public static boolean start(Channel source, Channel peer, String relayName, LongAdder counter,
            RelayObserver observer) {
        SpliceTap tap = SpliceTap.of(source);
        if (!(source instanceof AbstractEpollStreamChannel) || !(peer instanceof AbstractEpollStreamChannel)
                || tap == null || source.eventLoop() != peer.eventLoop()
                || !source.isActive() || !peer.isActive()
                || ((AbstractEpollStreamChannel) source).isInputShutdown()
                || ((AbstractEpollStreamChannel) peer).isOutputShutdown()
                || source.pipeline().first() != source.pipeline().get(relayName)) {
            return false;
        }
        SpliceRelay relay = new SpliceRelay(peer, observer);
        source.pipeline().addBefore(relayName, NAME, relay);
        tap.countTo(source, counter, observer);
        ChannelFuture splice = ((AbstractEpollStreamChannel) source).spliceTo(
                (AbstractEpollStreamChannel) peer, Integer.MAX_VALUE, source.newPromise());
        splice.addListener(done -> relay.spliceEnded(source, done.cause()));
        log.debug("splicing {} -> {}", source.remoteAddress(), peer.remoteAddress());
        return true;
    }

    /**
     * Whether {@code channel}'s input has ended but is still being read to its end (see above): its
     * relay may turn reading on again.
     */
    static boolean drainingAfterEnd(Channel channel) {
        SpliceRelay relay = channel.pipeline().get(SpliceRelay.class);
        return relay != null && relay.endHeld;
    }

    /** A splice of length {@code Integer.MAX_VALUE} only ends by failing: stopped, closed, or broken. */
    private void spliceEnded(Channel source, Throwable cause) {
        splicing = false;
        if (cause == SpliceTap.STOPPED || !source.isOpen() || !peer.isOpen()) {
            return;
        }
        log.debug("splice {} -> {} failed, closing both: {}", source.remoteAddress(), peer.remoteAddress(),
                cause.toString());
        observer.failed(source, cause);
        source.close();
        peer.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && splicing) {
            endHeld = true;
            SpliceTap.of(ctx.channel()).stopSplicing();
            return;
        }
        if (evt instanceof ChannelInputShutdownReadComplete && endHeld) {
            endHeld = false;
            ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
        ctx.fireUserEventTriggered(evt);
    }
}
