package dev.ferryproxy.proxyprotocol;

import dev.ferryproxy.policy.Cidr;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How one listener treats PROXY protocol headers (from a load balancer such as HAProxy).
 *
 * @param mode off, optional or required
 * @param trustedSources the networks a header is accepted from (the load balancers); a header
 *     from any other peer closes the connection. Must not be empty unless the mode is off.
 * @param headerTimeout the most a connection may take from connecting to a complete header (for
 *     optional: to its first byte); it runs inside the handshake timeout, which still applies
 */
public record ProxyProtocolSettings(ProxyProtocolMode mode, List<Cidr> trustedSources, Duration headerTimeout) {
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(5);

    /** No PROXY protocol: the listener serves SOCKS only. */
    public static final ProxyProtocolSettings OFF =
            new ProxyProtocolSettings(ProxyProtocolMode.OFF, List.of(), DEFAULT_HEADER_TIMEOUT);

    public ProxyProtocolSettings {
        Objects.requireNonNull(mode, "mode");
        trustedSources = List.copyOf(trustedSources);
        Objects.requireNonNull(headerTimeout, "headerTimeout");
        if (headerTimeout.isNegative() || headerTimeout.isZero()) {
            throw new IllegalArgumentException("headerTimeout: " + headerTimeout + " (expected: > 0)");
        }
        if (mode != ProxyProtocolMode.OFF && trustedSources.isEmpty()) {
            throw new IllegalArgumentException("PROXY protocol " + mode.name().toLowerCase(java.util.Locale.ROOT)
                    + " needs at least one trusted source network (the load balancers' addresses)");
        }
    }

    /** Settings with the default header timeout. */
    public static ProxyProtocolSettings of(ProxyProtocolMode mode, List<Cidr> trustedSources) {
        return new ProxyProtocolSettings(mode, trustedSources, DEFAULT_HEADER_TIMEOUT);
    }

    /** Whether a header from {@code peer} may be believed. */
    public boolean trusts(InetAddress peer) {
        for (Cidr network : trustedSources) {
            if (network.contains(peer)) {
                return true;
            }
        }
        return false;
    }
}
