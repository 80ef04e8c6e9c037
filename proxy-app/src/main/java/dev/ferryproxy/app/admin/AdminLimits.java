package dev.ferryproxy.app.admin;

import java.time.Duration;
import java.util.Objects;

/**
 * What bounds the admin listener, so that slow or many clients cannot stop it answering probes.
 *
 * @param headerTimeout from connecting until the request's head is complete; a client that
 *     trickles its headers is closed then (kubelet and Prometheus send theirs in one packet)
 * @param idleTimeout how long a connection may go without a byte read or written once its
 *     request is in (a reader that stalls the response)
 * @param maxConnections connections at once, in all; past it, the oldest connection still waiting
 *     for its request's head is closed to make room, or, when none is, the new one is
 * @param maxConnectionsPerClient connections at once from one client address; past it, the new
 *     connection is closed
 */
public record AdminLimits(Duration headerTimeout, Duration idleTimeout, int maxConnections, int maxConnectionsPerClient) {
    /** 5 s for the head, 10 s idle, 64 connections, 8 per client address. */
    public static final AdminLimits DEFAULTS = new AdminLimits(Duration.ofSeconds(5), Duration.ofSeconds(10), 64, 8);

    public AdminLimits {
        Objects.requireNonNull(headerTimeout, "headerTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (headerTimeout.isNegative() || headerTimeout.isZero() || idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("admin timeouts must be positive");
        }
        if (maxConnections < 1 || maxConnectionsPerClient < 1) {
            throw new IllegalArgumentException("admin connection limits must be at least 1");
        }
    }
}
