package dev.ferryproxy.relay;

/** How a tunnel's bytes are carried between its two sockets. */
public enum RelayMode {
    /** The one measured to be faster here (see docs/performance.md). */
    AUTO,
    /**
     * Kernel splice (epoll only): the bytes go from one socket to the other through a pipe, never
     * into the JVM. Falls back to {@link #BUFFER} where epoll is not in use.
     */
    SPLICE,
    /** Each read buffer is written to the other side as it is. */
    BUFFER
}
