package dev.ferryproxy.command;

/**
 * How a command ended, in terms both protocol versions can answer: SOCKS5 has a REP code for
 * each, SOCKS4 says 90 for success and 91 for everything else.
 */
public enum CommandOutcome {
    SUCCEEDED,
    GENERAL_FAILURE,
    NOT_ALLOWED,
    NETWORK_UNREACHABLE,
    HOST_UNREACHABLE,
    CONNECTION_REFUSED,
    TTL_EXPIRED,
    COMMAND_NOT_SUPPORTED,
    ADDRESS_TYPE_NOT_SUPPORTED
}
