package dev.ferryproxy.auth;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many password checks each client (address, or IPv6 /64) has under way, waiting or running,
 * bounded per client: a few addresses cannot fill the check pool for everyone else. Only clients
 * with a check under way are held, so the table is no larger than the pool's queue and threads.
 */
final class CheckAdmission {
    private final int maxPerClient;
    private final ConcurrentHashMap<InetAddress, Integer> underWay = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();

    CheckAdmission(int maxPerClient) {
        if (maxPerClient < 1) {
            throw new IllegalArgumentException("maxPerClient: " + maxPerClient + " (expected: >= 1)");
        }
        this.maxPerClient = maxPerClient;
    }

    /** Takes a place for one check of {@code client}; false when it has {@code maxPerClient} already. */
    boolean tryAcquire(InetAddress client) {
        boolean[] admitted = new boolean[1];
        underWay.compute(ClientPrefix.of(client), (key, count) -> {
            int now = count == null ? 0 : count;
            if (now >= maxPerClient) {
                return count;
            }
            admitted[0] = true;
            return now + 1;
        });
        if (admitted[0]) {
            total.incrementAndGet();
        }
        return admitted[0];
    }

    /** Gives back the place of a check that {@link #tryAcquire} admitted. */
    void release(InetAddress client) {
        underWay.computeIfPresent(ClientPrefix.of(client), (key, count) -> count <= 1 ? null : count - 1);
        total.decrementAndGet();
    }

    /** Checks under way, waiting or running, of all clients. */
    int checks() {
        return total.get();
    }

    /** Clients with a check under way. */
    int clients() {
        return underWay.size();
    }
}
