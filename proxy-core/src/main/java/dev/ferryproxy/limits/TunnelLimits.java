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
    /**
     * The leases the store said it holds for it, per subject in the subjects' order (null for a
     * subject it holds none in), and that store; both null until then. Only such leases are reused.
     */
    private volatile String[] heldLeases;
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

    /**
     * Its lease's name in {@code subject}'s set in the shared store: the one held there, else its
     * own (which a renewal takes, as for a tunnel whose subject gained a tunnel bound in a reload).
     */
    String leaseIn(SubjectState subject) {
        String held = heldLeaseIn(subject);
        return held != null ? held : lease;
    }

    /** The lease the store holds for it in {@code subject}'s set, or null when none is known. */
    String heldLeaseIn(SubjectState subject) {
        String[] leases = heldLeases;
        int index = leases == null ? -1 : subjects.indexOf(subject);
        return index >= 0 ? leases[index] : null;
    }

    /** The store said it holds {@code leases} for the tunnel, per subject (null entries: none). */
    void leasesHeldIn(String[] leases, FleetStore store) {
        this.heldLeases = leases;
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
