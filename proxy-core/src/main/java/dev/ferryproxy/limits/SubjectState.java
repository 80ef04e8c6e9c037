package dev.ferryproxy.limits;

import dev.ferryproxy.relay.ReadThrottle;

import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What this server counts for one subject: its open tunnels, its rate buckets, its quota's use in
 * the current period and, with a shared store, what it has not yet charged there and what the
 * store last said. Shared by the subject's tunnels on every event loop, so everything is atomic.
 */
final class SubjectState {
    /** Bytes a bandwidth bucket lets through at once, at least: one full read. */
    static final long MIN_BURST_BYTES = 64 * 1024;

    final String key;
    final String user;
    /** The limit in force; a reload replaces it, and the tunnels already open follow it from then on. */
    volatile Limit limit;
    final AtomicInteger tunnels = new AtomicInteger();
    /** The tunnels open now, so that a spent quota can close them and their leases can be renewed. */
    final Set<TunnelLimits> open = ConcurrentHashMap.newKeySet();
    private final Gcra connections = new Gcra();
    private final Gcra upload = new Gcra();
    private final Gcra download = new Gcra();

    private final AtomicLong quotaUsed = new AtomicLong();
    /** Epoch milliseconds at which the quota's current period ends; 0 before the first use. */
    private volatile long windowEndMillis;
    private volatile Quota.Window window;
    private final AtomicBoolean quotaSpent = new AtomicBoolean();
    /** Set once the spending of this period was acted on (the tunnels closed). */
    private final AtomicBoolean spentReported = new AtomicBoolean();
    /** The fleet's use of the quota in this period, as the store said at the last charge. */
    volatile long fleetQuotaUsed;

    /** Bytes relayed here and not yet charged to the shared store, per direction and for the quota. */
    final AtomicLong pendingUp = new AtomicLong();
    final AtomicLong pendingDown = new AtomicLong();
    final AtomicLong pendingQuota = new AtomicLong();
    /** Set while a charge of this subject is on its way to the store, or asked for. */
    final AtomicBoolean charging = new AtomicBoolean();
    /** System.nanoTime() until which the fleet's bandwidth says to wait, per direction. */
    volatile long fleetUpHoldUntil;
    volatile long fleetDownHoldUntil;
    /** System.nanoTime() of the last tunnel opened or closed, for forgetting idle per-address subjects. */
    volatile long lastActivity = System.nanoTime();

    SubjectState(Subject subject) {
        this.key = subject.key();
        this.user = subject.user();
        this.limit = subject.limit();
    }

    /** Takes a tunnel slot and a connection token; returns why not, or null when admitted. */
    LimitRefusal admit(long nowNanos) {
        Limit current = limit;
        lastActivity = nowNanos;
        if (current.quota() != null && quotaSpentNow(current.quota())) {
            return LimitRefusal.QUOTA;
        }
        int held = tunnels.incrementAndGet();
        if (current.tunnels() > 0 && held > current.tunnels()) {
            tunnels.decrementAndGet();
            return LimitRefusal.TUNNELS;
        }
        if (current.connectionsPerSecond() > 0
                && !connections.tryTake(nowNanos, current.connectionsPerSecond(), current.connectionBurst())) {
            tunnels.decrementAndGet();
            return LimitRefusal.RATE;
        }
        return null;
    }

    /** Gives back the slot {@link #admit} took. */
    void release() {
        tunnels.decrementAndGet();
        lastActivity = System.nanoTime();
    }

    /**
     * Counts {@code bytes} relayed in {@code direction}; returns how long (nanoseconds) the
     * direction must pause to keep to the bandwidth. Sets {@code quotaSpent} and returns true from
     * {@link #takeQuotaSpent()} once the quota is used up.
     */
    long charge(Direction direction, int bytes, long nowNanos, boolean fleet) {
        Limit current = limit;
        long wait = 0;
        long rate = direction == Direction.UP ? current.uploadBytesPerSecond() : current.downloadBytesPerSecond();
        if (rate > 0) {
            Gcra bucket = direction == Direction.UP ? upload : download;
            wait = bucket.charge(nowNanos, bytes, rate, burstBytes(rate));
            if (fleet) {
                (direction == Direction.UP ? pendingUp : pendingDown).addAndGet(bytes);
                long hold = (direction == Direction.UP ? fleetUpHoldUntil : fleetDownHoldUntil) - nowNanos;
                wait = Math.max(wait, hold);
            }
        }
        Quota quota = current.quota();
        if (quota != null) {
            rollWindowIfDue(quota);
            long used = quotaUsed.addAndGet(bytes);
            long known = used;
            if (fleet) {
                known = Math.max(used, fleetQuotaUsed + pendingQuota.addAndGet(bytes));
            }
            if (known >= quota.bytes()) {
                quotaSpent.set(true);
            }
            if (quotaSpent.get()) {
                // the tunnel is closing: read nothing more, not even the rest of this read batch
                return ReadThrottle.STOP;
            }
        }
        return wait;
    }

    /** The burst a bandwidth bucket allows: a tenth of a second of it, and at least one read. */
    static long burstBytes(long rate) {
        return Math.max(MIN_BURST_BYTES, rate / 10);
    }

    /** Whether the quota is used up for the current period, by this server or (as last heard) the fleet. */
    boolean quotaSpentNow(Quota quota) {
        rollWindowIfDue(quota);
        return quotaSpent.get() || Math.max(quotaUsed.get(), fleetQuotaUsed) >= quota.bytes();
    }

    /** Whether the quota was found spent, true once per period: the caller then closes the subject's tunnels. */
    boolean takeQuotaSpent() {
        return quotaSpent.get() && spentReported.compareAndSet(false, true);
    }

    /** The quota's current period (rolling it over first when it has ended); null without a quota. */
    Quota.Window window() {
        Quota quota = limit.quota();
        if (quota == null) {
            return null;
        }
        rollWindowIfDue(quota);
        return window;
    }

    long quotaUsed() {
        return quotaUsed.get();
    }

    /** The fleet's total for the period, as the store answered a charge made in {@code chargedWindow}. */
    void fleetQuotaTotal(String chargedWindow, long total, Quota quota) {
        Quota.Window current = window;
        if (current != null && current.id().equals(chargedWindow)) {
            fleetQuotaUsed = total;
            if (quota != null && total >= quota.bytes()) {
                quotaSpent.set(true);
            }
        }
    }

    private void rollWindowIfDue(Quota quota) {
        long now = System.currentTimeMillis();
        if (now < windowEndMillis) {
            return;
        }
        synchronized (this) {
            if (now < windowEndMillis) {
                return;
            }
            Quota.Window next = quota.windowAt(Instant.ofEpochMilli(now));
            window = next;
            quotaUsed.set(0);
            pendingQuota.set(0);
            fleetQuotaUsed = 0;
            quotaSpent.set(false);
            spentReported.set(false);
            windowEndMillis = next.end().toEpochMilli();
        }
    }
}
