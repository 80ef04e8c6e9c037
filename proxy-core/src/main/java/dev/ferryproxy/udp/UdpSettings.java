package dev.ferryproxy.udp;

import dev.ferryproxy.policy.PortRange;

import java.time.Duration;
import java.util.Objects;

/**
 * How the server serves UDP ASSOCIATE.
 *
 * @param enabled whether UDP ASSOCIATE is served at all; on by default (when off, SOCKS5 answers 0x07)
 * @param ports the ports relay sockets may use; {@code null} for any port the system picks
 * @param idleTimeout an association with no datagram either way for this long is ended
 * @param maxDatagramBytes the largest datagram relayed, either way (header included from the client)
 * @param maxDestinations how many distinct destinations one association may send to
 * @param maxPacketsPerSecond datagrams per second one association may send (client to targets);
 *     0 for no limit
 * @param repliesFromAnySource relay datagrams from any sender to the client, not only from
 *     destinations the client has sent to
 */
public record UdpSettings(boolean enabled, PortRange ports, Duration idleTimeout, int maxDatagramBytes,
        int maxDestinations, int maxPacketsPerSecond, boolean repliesFromAnySource) {
    /** The largest payload of a UDP datagram over IPv4. */
    public static final int MAX_UDP_PAYLOAD = 65_507;

    /** On, any port, 2 minutes idle, 65507 bytes, 1024 destinations, 100000 datagrams/s, only known sources. */
    public static final UdpSettings DEFAULT = new UdpSettings(true, null, Duration.ofMinutes(2), MAX_UDP_PAYLOAD,
            1024, 100_000, false);

    public UdpSettings {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("udp idleTimeout: " + idleTimeout + " (expected: > 0)");
        }
        if (maxDatagramBytes < 1 || maxDatagramBytes > MAX_UDP_PAYLOAD) {
            throw new IllegalArgumentException("udp maxDatagramBytes: " + maxDatagramBytes
                    + " (expected: 1 to " + MAX_UDP_PAYLOAD + ")");
        }
        if (maxDestinations < 1) {
            throw new IllegalArgumentException("udp maxDestinations: " + maxDestinations + " (expected: >= 1)");
        }
        if (ports != null && ports.lo() == 0) {
            throw new IllegalArgumentException("udp ports: " + ports + " includes port 0, which lets the system pick any"
                    + " port (expected: ports from 1; leave the range out for any port)");
        }
        if (maxPacketsPerSecond < 0) {
            throw new IllegalArgumentException("udp maxPacketsPerSecond: " + maxPacketsPerSecond
                    + " (expected: >= 0, 0 for no limit)");
        }
    }

    /** These settings with UDP ASSOCIATE switched on or off. */
    public UdpSettings withEnabled(boolean on) {
        return new UdpSettings(on, ports, idleTimeout, maxDatagramBytes, maxDestinations, maxPacketsPerSecond,
                repliesFromAnySource);
    }
}
