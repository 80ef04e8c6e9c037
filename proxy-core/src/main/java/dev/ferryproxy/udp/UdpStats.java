package dev.ferryproxy.udp;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one UDP association, or of every association of a server (the totals). An
 * association's counters add to the totals as they count, so the totals need no collecting.
 *
 * <p>Only the association's event loop counts; any thread may read. {@link LongAdder} keeps the
 * loop's increments cheap and the totals uncontended across loops.
 */
public final class UdpStats {
    private final UdpStats totals;
    private final LongAdder datagramsToTargets = new LongAdder();
    private final LongAdder bytesToTargets = new LongAdder();
    private final LongAdder datagramsToClient = new LongAdder();
    private final LongAdder bytesToClient = new LongAdder();
    private final LongAdder socketErrors = new LongAdder();
    private final LongAdder[] drops = new LongAdder[UdpDrop.values().length];

    private UdpStats(UdpStats totals) {
        this.totals = totals;
        for (int i = 0; i < drops.length; i++) {
            drops[i] = new LongAdder();
        }
    }

    /** Counters that nothing adds up further: a server's totals. */
    public static UdpStats totals() {
        return new UdpStats(null);
    }

    /** Counters of one association that also count into {@code totals}. */
    static UdpStats of(UdpStats totals) {
        return new UdpStats(totals);
    }

    void countToTarget(int payloadBytes) {
        datagramsToTargets.increment();
        bytesToTargets.add(payloadBytes);
        if (totals != null) {
            totals.countToTarget(payloadBytes);
        }
    }

    void countToClient(int payloadBytes) {
        datagramsToClient.increment();
        bytesToClient.add(payloadBytes);
        if (totals != null) {
            totals.countToClient(payloadBytes);
        }
    }

    void countDrop(UdpDrop reason) {
        drops[reason.ordinal()].increment();
        if (totals != null) {
            totals.countDrop(reason);
        }
    }

    void countSocketError() {
        socketErrors.increment();
        if (totals != null) {
            totals.countSocketError();
        }
    }

    /** Datagrams sent on to destinations. */
    public long datagramsToTargets() {
        return datagramsToTargets.sum();
    }

    /** Payload bytes (without the SOCKS header) sent on to destinations. */
    public long bytesToTargets() {
        return bytesToTargets.sum();
    }

    /** Datagrams relayed back to the client. */
    public long datagramsToClient() {
        return datagramsToClient.sum();
    }

    /** Payload bytes (without the SOCKS header) relayed back to the client. */
    public long bytesToClient() {
        return bytesToClient.sum();
    }

    /** Datagrams dropped for {@code reason}. */
    public long dropped(UdpDrop reason) {
        return drops[reason.ordinal()].sum();
    }

    /** Datagrams dropped for any reason. */
    public long dropped() {
        long sum = 0;
        for (LongAdder drop : drops) {
            sum += drop.sum();
        }
        return sum;
    }

    /** Errors the relay socket reported (failed sends, mostly); the association carries on. */
    public long socketErrors() {
        return socketErrors.sum();
    }

    /** For logs: what went each way, and the drops that happened, by reason. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder()
                .append("to targets ").append(datagramsToTargets()).append(" (").append(bytesToTargets()).append(" B)")
                .append(", to client ").append(datagramsToClient()).append(" (").append(bytesToClient()).append(" B)");
        for (UdpDrop reason : UdpDrop.values()) {
            long count = dropped(reason);
            if (count > 0) {
                text.append(", dropped ").append(reason).append(' ').append(count);
            }
        }
        long errors = socketErrors();
        if (errors > 0) {
            text.append(", socket errors ").append(errors);
        }
        return text.toString();
    }
}
