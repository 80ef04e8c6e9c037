package dev.ferryproxy.auth;

import dev.ferryproxy.admission.BoundedPlaces;

import java.net.InetAddress;

/**
 * How many password checks each client (address, or IPv6 /64) has under way, waiting or running,
 * bounded per client: a few addresses cannot fill the check pool for everyone else. (The pool's
 * own queue bounds them in all.) Only clients with a check under way are held, so the table is no
 * larger than the pool's queue and threads.
 */
final class CheckAdmission {
    private final BoundedPlaces underWay;

    CheckAdmission(int maxPerClient) {
        if (maxPerClient < 1) {
            throw new IllegalArgumentException("maxPerClient: " + maxPerClient + " (expected: >= 1)");
        }
        this.underWay = new BoundedPlaces(Integer.MAX_VALUE, maxPerClient);
    }

    /** Takes a place for one check of {@code client}; false when it has {@code maxPerClient} already. */
    boolean tryAcquire(InetAddress client) {
        return underWay.tryAcquire(client) == BoundedPlaces.Verdict.ADMITTED;
    }

    /** Gives back the place of a check that {@link #tryAcquire} admitted. */
    void release(InetAddress client) {
        underWay.release(client);
    }

    /** Checks under way, waiting or running, of all clients. */
    int checks() {
        return underWay.held();
    }

    /** Clients with a check under way. */
    int clients() {
        return underWay.clients();
    }
}
