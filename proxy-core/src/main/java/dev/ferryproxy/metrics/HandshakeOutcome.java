package dev.ferryproxy.metrics;

import dev.ferryproxy.command.CommandOutcome;

import java.util.Locale;

/**
 * How a handshake ended, as the {@code outcome} tag of {@code ferry_handshakes_total} names it: the
 * command outcomes both SOCKS versions can answer, plus the ways a handshake ends before a command
 * is served.
 */
public enum HandshakeOutcome {
    SUCCEEDED,
    NOT_ALLOWED,
    HOST_UNREACHABLE,
    CONNECTION_REFUSED,
    NETWORK_UNREACHABLE,
    GENERAL_FAILURE,
    COMMAND_NOT_SUPPORTED,
    ADDRESS_TYPE_NOT_SUPPORTED,
    TTL_EXPIRED,
    /** A failed RFC 1929 login, a locked-out address, or no acceptable method offered. */
    AUTH_FAILED,
    /** The handshake deadline passed. */
    TIMEOUT,
    /** Bytes that are no SOCKS, a malformed frame, or input that ended before the request was complete. */
    MALFORMED;

    private final String tag = name().toLowerCase(Locale.ROOT);

    /** The tag value. */
    public String tag() {
        return tag;
    }

    /** The outcome a command reply reports. */
    public static HandshakeOutcome of(CommandOutcome outcome) {
        return valueOf(outcome.name());
    }
}
