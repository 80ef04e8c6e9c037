package dev.ferryproxy.udp;

/**
 * Why a datagram was not relayed. Each reason has its own counter in {@link UdpStats}, so that a
 * client whose datagrams vanish can be told why (and tests can wait on the exact reason).
 */
public enum UdpDrop {
    /** From neither the client's UDP address nor a destination the client has sent to. */
    UNKNOWN_SOURCE,
    /** From the client, with a SOCKS5 UDP header that does not parse. */
    MALFORMED,
    /** From the client with FRAG other than 0: fragments are not reassembled, and RFC 1928 says to drop them. */
    FRAGMENT,
    /** Larger than {@code maxDatagramBytes}, or too large for UDP once the header is added (toward the client). */
    TOO_LARGE,
    /** Over the association's datagrams per second. */
    RATE_LIMITED,
    /** To a new destination when the association already has {@code maxDestinations}. */
    TOO_MANY_DESTINATIONS,
    /** To a destination the rules deny. */
    DENIED,
    /** To a name that did not resolve. */
    UNRESOLVED,
    /** To a destination no datagram can go to: port 0, or no address the relay socket's family can reach. */
    UNREACHABLE,
    /** To a name being resolved, while too many datagrams already wait for their names. */
    RESOLUTION_BACKLOG,
    /** The relay socket's send queue was full. */
    CONGESTED
}
