package dev.ferryproxy.relay;

import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a tunnel after no byte has gone either way for its idle timeout. One timer per tunnel,
 * on its event loop: each read (buffer or splice) only notes the time; when the timer fires it
 * closes the tunnel, or sets itself for the rest of the timeout counted from the last read. So a
 * busy tunnel costs one timer per timeout, not one per read.
 */
public final class TunnelIdleTimer implements RelayObserver, Runnable {
    private final Channel client;
    private final Channel outbound;
    private final long timeoutNanos;
    private final Runnable onIdle;
    private long lastReadNanos;
    private Future<?> pending;

    private TunnelIdleTimer(Channel client, Channel outbound, long timeoutNanos, Runnable onIdle) {
        this.client = client;
        this.outbound = outbound;
        this.timeoutNanos = timeoutNanos;
        this.onIdle = onIdle;
        this.lastReadNanos = System.nanoTime();
    }

    /**
     * Starts timing the tunnel between {@code client} and {@code outbound} (on one event loop);
     * returns the observer its relays must tell of their reads, {@link RelayObserver#NONE} when
     * {@code timeout} is zero (no timeout). When it fires, {@code onIdle} runs, then both close.
     */
    public static RelayObserver start(Channel client, Channel outbound, Duration timeout, Runnable onIdle) {
        if (timeout.isZero()) {
            return RelayObserver.NONE;
        }
        TunnelIdleTimer timer = new TunnelIdleTimer(client, outbound, timeout.toNanos(), onIdle);
        timer.schedule(timer.timeoutNanos);
        // A closed tunnel drops its timer rather than keeping it (and both channels) until it fires.
        client.closeFuture().addListener(closed -> timer.pending.cancel(false));
        return timer;
    }

    private void schedule(long delayNanos) {
        pending = client.eventLoop().schedule(this, delayNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void read(Channel from, int bytes) {
        lastReadNanos = System.nanoTime();
    }

    @Override
    public void run() {
        if (!client.isOpen()) {
            return;
        }
        long idle = System.nanoTime() - lastReadNanos;
        if (idle < timeoutNanos) {
            schedule(timeoutNanos - idle);
            return;
        }
        onIdle.run();
        client.close();
        outbound.close();
    }
}
