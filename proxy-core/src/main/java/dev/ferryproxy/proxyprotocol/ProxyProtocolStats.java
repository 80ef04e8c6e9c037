package dev.ferryproxy.proxyprotocol;

import java.util.concurrent.atomic.LongAdder;

/** Counts of the PROXY protocol handling across all of a server's listeners. */
public final class ProxyProtocolStats {
    private final LongAdder accepted = new LongAdder();
    private final LongAdder rejected = new LongAdder();

    /** Connections whose header was read and used (including LOCAL ones). */
    public long accepted() {
        return accepted.sum();
    }

    /**
     * Connections closed for their header: none on a required listener, one from an untrusted
     * source, an invalid one, or none complete within the header timeout.
     */
    public long rejected() {
        return rejected.sum();
    }

    void countAccepted() {
        accepted.increment();
    }

    void countRejected() {
        rejected.increment();
    }
}
