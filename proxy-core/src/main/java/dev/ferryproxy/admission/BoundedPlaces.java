package dev.ferryproxy.admission;


import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Places held at once (connections, handshakes, UDP associations), bounded in all and per client:
 * an address, or an IPv6 /64, which one host can fill with addresses of its own. Thread-safe: the
 * event loops take and give back places concurrently. Only clients holding a place are in the
 * table, so it is no larger than what it bounds.
 */
public final class BoundedPlaces {
    /** Why a place was not given. */
    public enum Verdict { ADMITTED, TOTAL_FULL, CLIENT_FULL }

    private final int maxTotal;
    private final int maxPerClient;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> perClient = new ConcurrentHashMap<>();

    public BoundedPlaces(int maxTotal, int maxPerClient) {
        if (maxTotal < 1 || maxPerClient < 1) {
            throw new IllegalArgumentException("limits must be at least 1: " + maxTotal + ", " + maxPerClient);
        }
        this.maxTotal = maxTotal;
        this.maxPerClient = maxPerClient;
    }

    /** Takes a place for {@code client}, unless the total or the client's share is full. */
    public Verdict tryAcquire(InetAddress client) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            return Verdict.TOTAL_FULL;
        }
        boolean[] admitted = new boolean[1];
        perClient.compute(ClientPrefix.of(client), (key, count) -> {
            int now = count == null ? 0 : count;
            if (now >= maxPerClient) {
                return count;
            }
            admitted[0] = true;
            return now + 1;
        });
        if (!admitted[0]) {
            total.decrementAndGet();
            return Verdict.CLIENT_FULL;
        }
        return Verdict.ADMITTED;
    }

    /** Gives back a place that {@link #tryAcquire} gave {@code client}. */
    public void release(InetAddress client) {
        perClient.computeIfPresent(ClientPrefix.of(client), (key, count) -> count <= 1 ? null : count - 1);
        total.decrementAndGet();
    }

    public int held() {
        return total.get();
    }

    /** Clients holding a place now. */
    public int clients() {
        return perClient.size();
    }
}
