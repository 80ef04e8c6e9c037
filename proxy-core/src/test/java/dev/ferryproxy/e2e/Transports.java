package dev.ferryproxy.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferryproxy.transport.Transport;
import dev.ferryproxy.transport.TransportKind;

/** Which transports an end-to-end test can run on here. */
final class Transports {
    private Transports() {
    }

    /** Skips the test where {@code kind} cannot load (EPOLL off Linux; IO_URING where the kernel refuses it). */
    static void assumeAvailable(TransportKind kind) {
        if (kind == TransportKind.EPOLL) {
            assumeTrue(Transport.epollUnavailabilityCause() == null,
                    () -> "epoll unavailable: " + Transport.epollUnavailabilityCause());
        }
        if (kind == TransportKind.IO_URING) {
            assumeTrue(Transport.ioUringUnavailabilityCause() == null,
                    () -> "io_uring unavailable: " + Transport.ioUringUnavailabilityCause());
        }
    }
}
