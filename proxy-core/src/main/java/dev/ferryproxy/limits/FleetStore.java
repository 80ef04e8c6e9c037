package dev.ferryproxy.limits;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Where the servers of a fleet keep the counts that their limits share: tunnel leases, connection
 * rate buckets, bandwidth buckets and quota totals. Every call is asynchronous and none may block
 * its caller; an answer that does not come within the store's timeout completes exceptionally.
 */
public interface FleetStore extends AutoCloseable {
    /**
     * The fleet's answer to a tunnel: admitted, or which subject refused and why.
     *
     * @param admitted whether every subject had room
     * @param subject the index of the refusing subject, -1 when admitted
     * @param reason why it refused, null when admitted
     * @param spares the spare slots and tokens granted per subject, in the subjects' order (empty:
     *     none); see {@link #acquire(String, List, List, List)}
     */
    record Admission(boolean admitted, int subject, LimitRefusal reason, List<Integer> spares) {
        public static final Admission ADMITTED = new Admission(true, -1, null);

        public Admission(boolean admitted, int subject, LimitRefusal reason) {
            this(admitted, subject, reason, List.of());
        }

        /** The spares granted for the subject at {@code index}. */
        public int sparesOf(int index) {
            return spares.isEmpty() ? 0 : spares.get(index);
        }
    }

    /**
     * Bytes relayed on this server since the last charge, for one subject's bandwidth.
     *
     * @param subject the subject
     * @param up bytes up, to charge to the fleet's upload bucket (0 without an upload limit)
     * @param down bytes down, likewise
     */
    record Charge(Subject subject, long up, long down) {
    }

    /**
     * What the fleet's buckets say after a charge.
     *
     * @param upWaitMillis how long the subject's uploads must pause fleet-wide, 0 for not at all
     * @param downWaitMillis likewise for downloads
     */
    record ChargeResult(long upWaitMillis, long downWaitMillis) {
    }

    /**
     * A reservation of quota bytes.
     *
     * @param granted the bytes this server may relay now (0: the quota is spent fleet-wide)
     * @param total the bytes reserved fleet-wide in the period, these included
     */
    record Reservation(long granted, long total) {
    }

    /**
     * Takes a tunnel lease named {@code lease} and a connection token from each subject, all or
     * none: refused when any subject holds its tunnels, is out of tokens or has spent its quota.
     * {@code windows} holds each subject's quota period (null entries without a quota).
     */
    default CompletionStage<Admission> acquire(String lease, List<Subject> subjects, List<Quota.Window> windows) {
        return acquire(lease, subjects, windows, List.of());
    }

    /**
     * {@link #acquire(String, List, List)}, and for each subject up to {@code spares} (by index;
     * empty: none) more slots and tokens for this server to admit its next tunnels with, without a
     * call. Each spare slot is a lease named {@code lease.1}, {@code lease.2} and so on. The store
     * grants them only while the subject is far from its limits (docs/limits.md, Spares).
     */
    CompletionStage<Admission> acquire(String lease, List<Subject> subjects, List<Quota.Window> windows,
            List<Integer> spares);

    /**
     * A top-up: spares for no tunnel. Like {@link #acquire(String, List, List, List)}, but the lease
     * named {@code lease} and its token are taken only when every subject grants spares (then they
     * are one spare more); otherwise nothing is taken and every count in the answer is 0.
     */
    CompletionStage<Admission> takeSpares(String lease, List<Subject> subjects, List<Quota.Window> windows,
            List<Integer> spares);

    /**
     * Gives leases back, by {@link Subject#key()} (best effort: a lease not given back expires
     * with its TTL).
     */
    void release(Map<String, List<String>> leasesBySubject);

    /**
     * Extends the leases of the tunnels still open for another TTL, by {@link Subject#key()}; a
     * lease the store lost (a restart without persistence) is taken again.
     */
    CompletionStage<Void> renew(Map<String, Set<String>> leasesBySubject);

    /** Charges relayed bytes to the bandwidth buckets; one result per charge, in order. */
    CompletionStage<List<ChargeResult>> charge(List<Charge> charges);

    /**
     * Reserves up to {@code bytes} of {@code subject}'s quota in {@code window} for this server:
     * what the fleet has reserved never passes the quota, so the fleet relays at most the quota
     * (plus one read per tunnel, relayed before it is counted).
     */
    CompletionStage<Reservation> reserve(Subject subject, Quota.Window window, long bytes);

    /**
     * Sends the calls made since the last flush, together. The limits thread calls it after each
     * batch of work, so that calls made at once share one write; until then a call may be held
     * (not lost). A store that sends every call at once does nothing here.
     */
    default void flush() {
    }

    /** Whether the store is connected now. */
    boolean connected();

    @Override
    void close();
}
