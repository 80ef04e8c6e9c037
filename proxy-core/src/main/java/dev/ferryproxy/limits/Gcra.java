package dev.ferryproxy.limits;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A rate bucket as the generic cell rate algorithm keeps it: one number, the time at which the
 * bucket would be empty again (the "theoretical arrival time"), moved forward by each use. It is
 * lock-free, so tunnels on different event loops can share one.
 */
final class Gcra {
    private final AtomicLong emptyAt = new AtomicLong(Long.MIN_VALUE / 2);

    /**
     * Takes one unit if the rate allows it now: at most {@code burst} at once, then
     * {@code perSecond} on average.
     */
    boolean tryTake(long nowNanos, double perSecond, int burst) {
        long interval = (long) (1e9 / perSecond);
        long tolerance = interval * (long) Math.max(0, burst - 1);
        while (true) {
            long old = emptyAt.get();
            long base = Math.max(old, nowNanos);
            if (base - nowNanos > tolerance) {
                return false;
            }
            if (emptyAt.compareAndSet(old, base + interval)) {
                return true;
            }
        }
    }

    /**
     * Charges {@code units} already used and says how long the user must now wait (nanoseconds,
     * 0 for not at all) to stay within {@code perSecond}, allowing {@code burstUnits} ahead.
     */
    long charge(long nowNanos, long units, long perSecond, long burstUnits) {
        long cost = (long) (units * 1e9 / perSecond);
        long tolerance = (long) (burstUnits * 1e9 / perSecond);
        long next = emptyAt.accumulateAndGet(cost, (old, add) -> Math.max(old, nowNanos) + add);
        return Math.max(0, next - nowNanos - tolerance);
    }
}
