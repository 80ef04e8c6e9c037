package dev.ferryproxy.relay;

import io.netty.channel.Channel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.AttributeKey;

import java.util.concurrent.TimeUnit;

/**
 * A shaped channel's reading, which two things may stop: its peer's full outbound buffer
 * (backpressure) and its bandwidth ({@link ReadThrottle}). It reads only when neither holds it,
 * so that the peer draining cannot resume a read the bandwidth paused, nor the other way round.
 * Confined to the channel's event loop. Channels without a throttle have no gate: their reading
 * follows backpressure alone, as before.
 */
final class ReadGate {
    private static final AttributeKey<ReadGate> KEY = AttributeKey.valueOf(ReadGate.class, "readGate");

    private final Channel channel;
    private final ReadThrottle throttle;
    private boolean peerFull;
    /** System.nanoTime() until which the bandwidth holds reading. */
    private long heldUntil;
    private boolean resumeScheduled;
    /** Set by {@link ReadThrottle#STOP}: the channel reads no more. */
    private boolean stopped;

    private ReadGate(Channel channel, ReadThrottle throttle) {
        this.channel = channel;
        this.throttle = throttle;
        this.heldUntil = System.nanoTime();
    }

    /** Gives {@code channel} a gate that {@code throttle} paces. */
    static ReadGate install(Channel channel, ReadThrottle throttle) {
        ReadGate gate = new ReadGate(channel, throttle);
        channel.attr(KEY).set(gate);
        return gate;
    }

    /** The gate of a channel that has one, else null. */
    static ReadGate ifPresent(Channel channel) {
        return channel.attr(KEY).get();
    }

    /** The peer's buffer filled ({@code false}) or drained ({@code true}). */
    void peerWritable(boolean writable) {
        peerFull = !writable;
        apply();
    }

    /** Holds reading for {@code nanos} from now (or longer, if held longer already); {@link ReadThrottle#STOP} for good. */
    void hold(long nanos) {
        if (nanos == ReadThrottle.STOP) {
            stopped = true;
            channel.config().setAutoRead(false);
            return;
        }
        long until = System.nanoTime() + nanos;
        if (until - heldUntil > 0) {
            heldUntil = until;
        }
        apply();
    }

    /**
     * Reads when nothing holds it: not stopped, the peer not full, the pause over and the throttle
     * waiting for nothing more. Whatever turns reading back on (the peer draining, a pause ending)
     * comes through here, so none of them can resume a read another still holds.
     */
    private void apply() {
        boolean reading = !stopped && !peerFull;
        if (reading) {
            long still = throttle.stillHeld();
            if (still == ReadThrottle.STOP) {
                stopped = true;
                reading = false;
            }
            long left = Math.max(heldUntil - System.nanoTime(), still);
            if (!stopped && left > 0) {
                reading = false;
                resumeIn(left);
            }
        }
        if (reading && channel instanceof DuplexChannel && ((DuplexChannel) channel).isInputShutdown()
                && !SpliceRelay.drainingAfterEnd(channel)) {
            return;
        }
        channel.config().setAutoRead(reading);
    }

    private void resumeIn(long nanos) {
        if (!resumeScheduled) {
            resumeScheduled = true;
            channel.eventLoop().schedule(this::resume, nanos, TimeUnit.NANOSECONDS);
        }
    }

    private void resume() {
        resumeScheduled = false;
        if (channel.isActive()) {
            apply();
        }
    }
}
