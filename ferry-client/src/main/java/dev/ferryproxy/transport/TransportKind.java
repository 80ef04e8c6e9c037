package dev.ferryproxy.transport;

/** Which I/O transport to run on. */
public enum TransportKind {
    /** Native epoll where it loads, else NIO. */
    AUTO,
    /** Native epoll; fails to start where it cannot load. */
    EPOLL,
    /** Linux io_uring (kernel 5.14 and later); fails to start where it cannot load. */
    IO_URING,
    /** The JDK's NIO selector, available everywhere. */
    NIO
}
