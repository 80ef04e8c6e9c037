package dev.ferryproxy.limits;

/** Which way relayed bytes go. */
public enum Direction {
    /** From the client to its target. */
    UP,
    /** From the target (or BIND peer) to the client. */
    DOWN
}
