package dev.ferryproxy.udp;

import java.util.concurrent.TimeUnit;

/**
 * A token bucket for one association's datagrams from the client: {@code perSecond} tokens a
 * second, and at most one second's worth saved up, so a client that was quiet may send a burst
 * of that size but never more than the rate over any longer stretch.
 *
 * <p>A bucket rather than a per-second window: a window lets twice the rate through across its
 * edge, and drops everything for the rest of a second once spent. Used on one event loop only,
 * so it has no locking; the caller passes the time, so a test needs no clock.
 */
final class UdpRateLimiter {
    private static final double NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);

    private final double tokensPerNano;
    private final double capacity;
    private double tokens;
    private long lastRefillNanos;

    private UdpRateLimiter(int perSecond, long nowNanos) {
        this.tokensPerNano = perSecond / NANOS_PER_SECOND;
        this.capacity = perSecond;
        this.tokens = perSecond;
        this.lastRefillNanos = nowNanos;
    }

    /** A bucket of {@code perSecond} tokens a second, full at {@code nowNanos}; {@code null} for 0 (no limit). */
    static UdpRateLimiter perSecond(int perSecond, long nowNanos) {
        if (perSecond < 0) {
            throw new IllegalArgumentException("perSecond: " + perSecond + " (expected: >= 0)");
        }
        return perSecond == 0 ? null : new UdpRateLimiter(perSecond, nowNanos);
    }

    /** Takes one token if there is one at {@code nowNanos} (a {@link System#nanoTime()} reading). */
    boolean tryAcquire(long nowNanos) {
        long elapsed = nowNanos - lastRefillNanos;
        if (elapsed > 0) {
            tokens = Math.min(capacity, tokens + elapsed * tokensPerNano);
            lastRefillNanos = nowNanos;
        }
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}
