package dev.ferryproxy.accesslog;

import java.util.Locale;

/** Why a logged request's connection ended. */
public enum EndReason {
    /** The client ended its side first (EOF), or left before its request was answered. */
    CLIENT_CLOSED,
    /** The target (or the BIND peer) ended its side first. */
    TARGET_CLOSED,
    /** A read or write failed (a reset, for example). */
    ERROR,
    /** The server's drain deadline passed, or the server stopped, with the connection still open. */
    DRAIN,
    /** A tunnel (no byte either way) or a UDP association (no datagram) was idle for its idle timeout. */
    IDLE_TIMEOUT,
    /** The tunnel's user or client network spent its byte quota for the period (see docs/limits.md). */
    QUOTA,
    /** The request was refused: the reply's code is not success. */
    REJECTED,
    /** The server closed it for another reason (a reload that removed its user, for example). */
    CLOSED;

    /** The name in the log: {@code client_closed}, {@code idle_timeout}... */
    public String logName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
