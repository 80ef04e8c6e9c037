package dev.ferryproxy.udp;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Ends an association that has relayed nothing for a while. Datagrams only note the time (no
 * timer is touched per datagram); one task checks when the timeout would pass, and schedules
 * itself again for the rest of the time if something happened meanwhile.
 *
 * <p>Only relayed traffic counts (anything from the client, and replies relayed to it), not
 * junk from strangers, so nobody else can keep an association alive. Used on one event loop.
 */
final class UdpIdleTimer {
    private final EventLoop loop;
    private final long timeoutNanos;
    private final Runnable onIdle;
    private long lastActivityNanos;
    private ScheduledFuture<?> check;
    private boolean stopped;

    UdpIdleTimer(EventLoop loop, Duration timeout, Runnable onIdle) {
        this.loop = loop;
        this.timeoutNanos = timeout.toNanos();
        this.onIdle = onIdle;
    }

    /** Starts counting from {@code nowNanos}. */
    void start(long nowNanos) {
        lastActivityNanos = nowNanos;
        schedule(timeoutNanos);
    }

    /** Notes activity at {@code nowNanos} (a {@link System#nanoTime()} reading). */
    void touch(long nowNanos) {
        lastActivityNanos = nowNanos;
    }

    void stop() {
        stopped = true;
        if (check != null) {
            check.cancel(false);
        }
    }

    private void schedule(long delayNanos) {
        check = loop.schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void check() {
        if (stopped) {
            return;
        }
        long idle = System.nanoTime() - lastActivityNanos;
        if (idle >= timeoutNanos) {
            onIdle.run();
        } else {
            schedule(timeoutNanos - idle);
        }
    }
}
