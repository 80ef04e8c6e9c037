package dev.ferryproxy.limits;

import dev.ferryproxy.relay.ReadThrottle;

import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
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
    /** The quota reserved fleet-wide in this period, as the store said at the last reservation. */
    volatile long fleetQuotaUsed;
    /** With a shared store: quota bytes reserved for this server and not yet relayed (may dip below 0 by a read). */
    private final AtomicLong quotaAllowance = new AtomicLong();
    /** With a shared store: the store granted nothing, so the fleet has reserved the whole quota. */
    private volatile boolean fleetQuotaSpent;
    /** Set while a reservation is on its way to the store, or asked for. */
    final AtomicBoolean reserving = new AtomicBoolean();
    /** The size of the last reservation (0 before the first); see {@link #nextReservation}. */
    private volatile long reservationBytes;
    /** Quota use and System.nanoTime() at the last reservation: only the limits thread touches them. */
    private long usedAtLastReservation;
    private long lastReservationNanos;

    /** Bytes relayed here and not yet charged to the shared store's bandwidth buckets, per direction. */
    final AtomicLong pendingUp = new AtomicLong();
    final AtomicLong pendingDown = new AtomicLong();
    /** Set while a charge of this subject is on its way to the store, or asked for. */
    final AtomicBoolean charging = new AtomicBoolean();
    /** System.nanoTime() until which the fleet's bandwidth says to wait, per direction. */
    volatile long fleetUpHoldUntil;
    volatile long fleetDownHoldUntil;
    /** System.nanoTime() of the last tunnel opened or closed, for forgetting idle per-address subjects. */
    volatile long lastActivity = System.nanoTime();

    /** Spares asked of the store with one tunnel, at most. */
    static final int MOST_SPARES_PER_CALL = 64;
    /** Fewer than this are not worth asking for: the limit is small, and exact admission matters more. */
    static final int FEWEST_SPARES = 4;
    /** How long spare tokens stay good: a server cannot save them up into a burst later. */
    static final long SPARE_TOKEN_LIFE_NANOS = 1_000_000_000L;
    /** What {@link #takeSpare} returns for a subject that bounds no tunnels: a token, no lease. */
    static final String NO_LEASE = "";

    /**
     * With a shared store: leases this server holds in the store and no tunnel uses, granted as
     * spares or left by tunnels that closed. A tunnel admitted here takes one instead of a call to
     * the store; the limits thread gives back those not wanted (docs/limits.md, Spares).
     */
    private final Deque<String> spareLeases = new ConcurrentLinkedDeque<>();
    /** How many {@link #spareLeases} holds, without walking it (it may lag a concurrent change by one). */
    private final AtomicInteger spareLeaseCount = new AtomicInteger();
    /** Connection tokens the store granted with spares, good until {@link #spareTokensExpireAt}. */
    private final AtomicInteger spareTokens = new AtomicInteger();
    private volatile long spareTokensExpireAt;
    /** Set while a call that asks for spares is on its way, so that one call at a time asks. */
    final AtomicBoolean askingForSpares = new AtomicBoolean();
    /** Whether the store granted spares at the last asking: the subject is far from its limits fleet-wide. */
    volatile boolean roomy;
    /** System.nanoTime() when spares were last granted or taken: spares left unused a second are given back. */
    volatile long lastSpareUse;

    SubjectState(Subject subject) {
        this.key = subject.key();
        this.user = subject.user();
        this.limit = subject.limit();
    }

    /** Takes a tunnel slot and a connection token; returns why not, or null when admitted. */
    LimitRefusal admit(long nowNanos, boolean fleet) {
        Limit current = limit;
        lastActivity = nowNanos;
        if (current.quota() != null && quotaSpentNow(current.quota(), fleet)) {
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

    /**
     * How many spares to ask the store for with a tunnel of this subject now, 0 for none: none for
     * small limits, none while another call asks.
     */
    int sparesToAsk() {
        int wanted = sparesWanted();
        return wanted > 0 && askingForSpares.compareAndSet(false, true) ? wanted : 0;
    }

    /** How many spares one call asks for: 0 for none (small limits, or nothing to count them in). */
    private int sparesWanted() {
        Limit current = limit;
        if (current.tunnels() == 0 && current.connectionsPerSecond() == 0) {
            // nothing to count a spare in: a quota alone is checked by the store per tunnel
            return 0;
        }
        int wanted = MOST_SPARES_PER_CALL;
        if (current.tunnels() > 0) {
            wanted = Math.min(wanted, current.tunnels() / 4);
        }
        if (current.connectionsPerSecond() > 0) {
            wanted = Math.min(wanted, current.connectionBurst() / 4);
        }
        return wanted >= FEWEST_SPARES ? wanted : 0;
    }

    /**
     * The store's answer to a call that asked for spares with the tunnel leased as {@code lease}:
     * {@code granted} leases named {@code lease.1} and on, and as many tokens.
     */
    void sparesGranted(String lease, int granted, long nowNanos) {
        sparesGranted(lease, granted, false, nowNanos);
    }

    /**
     * {@link #sparesGranted(String, int, long)}; with {@code leaseToo}, {@code lease} itself (and its
     * token) is a spare as well: a top-up taken for no tunnel.
     */
    void sparesGranted(String lease, int granted, boolean leaseToo, long nowNanos) {
        Limit current = limit;
        roomy = granted > 0;
        int tokens = granted + (leaseToo ? 1 : 0);
        if (tokens > 0) {
            lastSpareUse = nowNanos;
        }
        if (current.tunnels() > 0) {
            if (leaseToo) {
                addSpareLease(lease);
            }
            for (int i = 1; i <= granted; i++) {
                addSpareLease(lease + "." + i);
            }
        }
        if (tokens > 0 && current.connectionsPerSecond() > 0) {
            // what is left of the last grant lapses with this one's life, not a second later
            spareTokensExpireAt = nowNanos + SPARE_TOKEN_LIFE_NANOS;
            spareTokens.addAndGet(tokens);
        }
        askingForSpares.set(false);
    }

    /**
     * Takes a spare lease and token for a tunnel admitted here without asking the store:
     * {@link #NO_LEASE} when the subject bounds no tunnels; null when there is none to take.
     */
    String takeSpare(long nowNanos) {
        Limit current = limit;
        if (current.tunnels() == 0 && current.connectionsPerSecond() == 0) {
            return null;
        }
        // a quota spent as far as this server knows refused the tunnel before (admit); one spent
        // elsewhere since lets it relay what this server still holds reserved (docs/limits.md, Spares)
        boolean needsToken = current.connectionsPerSecond() > 0;
        if (needsToken && !takeSpareToken(nowNanos)) {
            return null;
        }
        String lease = NO_LEASE;
        if (current.tunnels() > 0) {
            lease = spareLeases.poll();
            if (lease != null) {
                spareLeaseCount.decrementAndGet();
            }
            if (lease == null) {
                if (needsToken) {
                    spareTokens.incrementAndGet();
                }
                return null;
            }
        }
        lastSpareUse = nowNanos;
        return lease;
    }

    /** Puts back what {@link #takeSpare} took, for a tunnel that another subject's spares could not admit. */
    void putBackSpare(String lease) {
        if (!lease.equals(NO_LEASE)) {
            spareLeases.addFirst(lease);
            spareLeaseCount.incrementAndGet();
        }
        if (limit.connectionsPerSecond() > 0) {
            spareTokens.incrementAndGet();
        }
    }

    private boolean takeSpareToken(long nowNanos) {
        if (nowNanos - spareTokensExpireAt > 0) {
            return false;
        }
        int left;
        do {
            left = spareTokens.get();
            if (left <= 0) {
                return false;
            }
        } while (!spareTokens.compareAndSet(left, left - 1));
        return true;
    }

    /** Keeps a lease this server holds in the store for a later tunnel. */
    void addSpareLease(String lease) {
        spareLeases.add(lease);
        spareLeaseCount.incrementAndGet();
    }

    /** Takes the newest spare lease, to give it back to the store; null when there is none. */
    String pollSpareToGiveBack() {
        String lease = spareLeases.pollLast();
        if (lease != null) {
            spareLeaseCount.decrementAndGet();
        }
        return lease;
    }

    int spareLeaseCount() {
        return spareLeaseCount.get();
    }

    boolean hasSpareLeases() {
        return !spareLeases.isEmpty();
    }

    /** The spare leases' names now, for a renewal. */
    Collection<String> spareLeaseNames() {
        return Collections.unmodifiableCollection(spareLeases);
    }

    /**
     * Whether this server's spares of the subject are running low, so that the next should be asked
     * for before a tunnel finds none (a quarter of a call's worth left).
     */
    boolean sparesLow(long nowNanos) {
        Limit current = limit;
        int low = Math.max(1, sparesWanted() / 4);
        if (current.connectionsPerSecond() > 0
                && (spareTokens.get() < low || nowNanos - spareTokensExpireAt > -SPARE_TOKEN_LIFE_NANOS / 4)) {
            return true;
        }
        return current.tunnels() > 0 && spareLeaseCount.get() < low;
    }

    /** Forgets the spares (the store they were granted in was replaced). */
    void dropSpares() {
        spareLeases.clear();
        spareLeaseCount.set(0);
        spareTokens.set(0);
        roomy = false;
    }

    /** Gives back the slot {@link #admit} took. */
    void release() {
        tunnels.decrementAndGet();
        lastActivity = System.nanoTime();
    }

    /**
     * Counts {@code bytes} relayed in {@code direction}; returns how long (nanoseconds) the
     * direction must pause to keep to the bandwidth and, with a shared store, until quota is
     * reserved for it; {@link ReadThrottle#STOP} once the quota is spent.
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
                wait = Math.max(wait, fleetBandwidthHold(direction, nowNanos));
            }
        }
        Quota quota = current.quota();
        if (quota != null) {
            rollWindowIfDue(quota);
            long used = quotaUsed.addAndGet(bytes);
            if (fleet) {
                long left = quotaAllowance.addAndGet(-bytes);
                if (left <= 0 && fleetQuotaSpent) {
                    quotaSpent.set(true);
                }
            } else if (used >= quota.bytes()) {
                quotaSpent.set(true);
            }
            if (quotaSpent.get()) {
                // the tunnel is closing: read nothing more, not even the rest of this read batch
                return ReadThrottle.STOP;
            }
            if (fleet && quotaAllowance.get() <= 0) {
                wait = Math.max(wait, RESERVATION_POLL_NANOS);
            }
        }
        return wait;
    }

    /** How often a direction held for a quota reservation looks whether it came. */
    static final long RESERVATION_POLL_NANOS = 2_000_000;

    /**
     * For a direction whose pause ended: how much longer it must wait (nanoseconds, 0 for none),
     * for the fleet's bandwidth or for quota to be reserved.
     */
    long stillHeld(Direction direction, long nowNanos, boolean fleet) {
        if (limit.quota() != null && quotaSpent.get()) {
            // spent while this direction waited: it reads no more (its tunnel is being closed)
            return ReadThrottle.STOP;
        }
        if (!fleet) {
            return 0;
        }
        long wait = fleetBandwidthHold(direction, nowNanos);
        Quota quota = limit.quota();
        if (quota != null && !quotaSpent.get() && quotaAllowance.get() <= 0) {
            wait = Math.max(wait, RESERVATION_POLL_NANOS);
        }
        return wait;
    }

    private long fleetBandwidthHold(Direction direction, long nowNanos) {
        long rate = direction == Direction.UP ? limit.uploadBytesPerSecond() : limit.downloadBytesPerSecond();
        if (rate <= 0) {
            return 0;
        }
        return Math.max(0, (direction == Direction.UP ? fleetUpHoldUntil : fleetDownHoldUntil) - nowNanos);
    }

    /** The largest reservation, however fast the subject relays: bounds what a server can strand. */
    static final long MAX_RESERVATION_BYTES = 64L * 1024 * 1024;

    /**
     * Whether this server should reserve more of the quota: less than half a reservation is left
     * ({@code minimumBytes}, the configured batch, before the first).
     */
    boolean wantsReservation(long minimumBytes) {
        Quota quota = limit.quota();
        if (quota == null || fleetQuotaSpent) {
            return false;
        }
        rollWindowIfDue(quota);
        return quotaAllowance.get() < Math.max(minimumBytes, reservationBytes) / 2;
    }

    /**
     * On the limits thread: how many bytes to reserve now. A quarter second of what this subject
     * relayed here since the last reservation, so that a fast tunnel asks the store a few times a
     * second rather than once per batch (a 10 Gbit/s tunnel would otherwise make 5,000 calls a
     * second and wait on each). At least {@code minimumBytes}; at most a sixteenth of the quota
     * and {@link #MAX_RESERVATION_BYTES}, which bounds what a server still holds unused when the
     * fleet spends the rest (docs/limits.md).
     */
    long nextReservation(long minimumBytes, long nowNanos) {
        Quota quota = limit.quota();
        long used = quotaUsed.get();
        long size = minimumBytes;
        if (quota != null && lastReservationNanos != 0 && nowNanos > lastReservationNanos && used > usedAtLastReservation) {
            double bytesPerSecond = (used - usedAtLastReservation) * 1e9 / (nowNanos - lastReservationNanos);
            long ceiling = Math.max(minimumBytes, Math.min(quota.bytes() / 16, MAX_RESERVATION_BYTES));
            size = Math.max(minimumBytes, Math.min(ceiling, (long) (bytesPerSecond / 4)));
        }
        usedAtLastReservation = used;
        lastReservationNanos = nowNanos;
        reservationBytes = size;
        return size;
    }

    /** The store's answer to a reservation made in the period {@code windowId}. */
    void reserved(String windowId, long granted, long fleetTotal) {
        Quota.Window current = window;
        if (current == null || !current.id().equals(windowId)) {
            return;
        }
        fleetQuotaUsed = fleetTotal;
        long left = quotaAllowance.addAndGet(granted);
        if (granted == 0) {
            fleetQuotaSpent = true;
            if (left <= 0) {
                quotaSpent.set(true);
            }
        }
    }

    /** While the store fails and the limits fail open: this server grants itself {@code bytes}. */
    void reservedLocally(long bytes) {
        quotaAllowance.addAndGet(bytes);
    }

    /** The burst a bandwidth bucket allows: a tenth of a second of it, and at least one read. */
    static long burstBytes(long rate) {
        return Math.max(MIN_BURST_BYTES, rate / 10);
    }

    /**
     * Whether the quota is used up for the current period: here, or (with a shared store) fleet-wide
     * with nothing left of what this server reserved.
     */
    boolean quotaSpentNow(Quota quota, boolean fleet) {
        rollWindowIfDue(quota);
        if (quotaSpent.get()) {
            return true;
        }
        return fleet ? fleetQuotaSpent && quotaAllowance.get() <= 0 : quotaUsed.get() >= quota.bytes();
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
            quotaAllowance.set(0);
            fleetQuotaSpent = false;
            fleetQuotaUsed = 0;
            quotaSpent.set(false);
            spentReported.set(false);
            windowEndMillis = next.end().toEpochMilli();
        }
    }
}
