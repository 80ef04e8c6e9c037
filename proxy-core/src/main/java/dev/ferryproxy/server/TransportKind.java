package dev.ferryproxy.server;

/** Which I/O transport to run on. */
public enum TransportKind {
    /** Native epoll where it loads, else NIO. */
    AUTO,
    /** Native epoll; fails to start where it cannot load. */
    EPOLL,
    /** The JDK's NIO selector, available everywhere. */
    NIO
}
