package dev.ferryproxy.limits;

import dev.ferryproxy.relay.ReadThrottle;
import io.netty.channel.Channel;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One admitted tunnel's share of its subjects' limits: it charges what it relays, says how long
 * to pause for the bandwidth, and gives its slot back (here and in the shared store) when its
 * client connection closes.
 */
public final class TunnelLimits {
    /** A tunnel no limit applies to. */
    public static final TunnelLimits NONE = new TunnelLimits(null, List.of(), null, null);

    private final Limiter limiter;
    private final List<SubjectState> subjects;
    private final String lease;
    private final Channel client;
    private final AtomicBoolean released = new AtomicBoolean();
    private final AtomicBoolean closingForQuota = new AtomicBoolean();
    /** Set once its relay started: only then does a spent quota close it (before, its reply says so). */
    private volatile boolean relaying;
    /** Its lease per subject, in the subjects' order, when taken from spares; null: {@link #lease} in all. */
    private volatile String[] spareLeases;
    /** The store that holds its leases for sure (it said so), null until then: only such leases are reused. */
    private volatile FleetStore heldIn;

    TunnelLimits(Limiter limiter, List<SubjectState> subjects, String lease, Channel client) {
        this.limiter = limiter;
        this.subjects = subjects;
        this.lease = lease;
        this.client = client;
    }

    /** Whether a subject of this tunnel bounds its bytes, so that its relay must charge them. */
    public boolean limitsBytes() {
        for (SubjectState subject : subjects) {
            if (subject.limit.limitsBytes()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Counts {@code bytes} relayed in {@code direction}; returns how long (nanoseconds) reading in
     * that direction must pause, 0 for not at all, {@link dev.ferryproxy.relay.ReadThrottle#STOP}
     * once the quota is spent (this closes the subject's tunnels).
     */
    public long charge(Direction direction, int bytes) {
        long now = System.nanoTime();
        long wait = 0;
        for (SubjectState subject : subjects) {
            wait = Math.max(wait, limiter.charge(subject, direction, bytes, now));
        }
        if (wait == ReadThrottle.STOP) {
            closeForQuota();
        }
        return wait;
    }

    /** Closes the tunnel because a subject's quota is spent; only the first call counts. */
    void closeForQuota() {
        if (relaying && closingForQuota.compareAndSet(false, true)) {
            limiter.closeForQuota(this);
        }
    }

    /** After a pause: how much longer (nanoseconds) {@code direction} must wait; 0 to read again. */
    public long stillHeld(Direction direction) {
        long now = System.nanoTime();
        long wait = 0;
        for (SubjectState subject : subjects) {
            wait = Math.max(wait, limiter.stillHeld(subject, direction, now));
        }
        return wait;
    }

    /** Paces {@code direction} of this tunnel's relay, which starts now. */
    public ReadThrottle throttle(Direction direction) {
        relaying = true;
        return new ReadThrottle() {
            @Override
            public long afterRead(int bytes) {
                return charge(direction, bytes);
            }

            @Override
            public long stillHeld() {
                return TunnelLimits.this.stillHeld(direction);
            }
        };
    }

    /** The lease's name in the shared store: this server's id and a number. */
    String lease() {
        return lease;
    }

    /** Its lease's name in {@code subject}'s set in the shared store. */
    String leaseIn(SubjectState subject) {
        String[] leases = spareLeases;
        if (leases != null) {
            int index = subjects.indexOf(subject);
            // NO_LEASE: the subject bounded no tunnels when admitted (a reload may have added one since)
            if (index >= 0 && leases[index] != null && !leases[index].equals(SubjectState.NO_LEASE)) {
                return leases[index];
            }
        }
        return lease;
    }

    /** Admitted with spares: {@code leases} per subject (null for a subject that took none), held in {@code store}. */
    void admittedWithSpares(String[] leases, FleetStore store) {
        this.spareLeases = leases;
        this.heldIn = store;
    }

    /** The store said it holds the tunnel's leases. */
    void leasesHeldIn(FleetStore store) {
        this.heldIn = store;
    }

    /** The store known to hold its leases, or null (not asked, not answered, or a failed call). */
    FleetStore heldIn() {
        return heldIn;
    }

    Channel client() {
        return client;
    }

    List<SubjectState> subjects() {
        return subjects;
    }

    /** Whether the tunnel's slots were given back (its client closed, or it was refused). */
    boolean isReleased() {
        return released.get();
    }

    /** Gives the tunnel's slots back; only the first call counts. */
    void release() {
        if (released.compareAndSet(false, true)) {
            limiter.release(this);
        }
    }
}
