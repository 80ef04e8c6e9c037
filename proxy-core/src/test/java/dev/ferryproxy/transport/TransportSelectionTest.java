package dev.ferryproxy.transport;

import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TransportSelectionTest {
    @Test
    void autoTakesEpollEvenWhereIoUringLoads() {
        // io_uring is opt-in: Docker's default seccomp profile refuses it, so a default must not depend on it
        assumeTrue(Epoll.isAvailable(), "epoll does not load here");
        assertThat(Transport.select(TransportKind.AUTO).name()).isEqualTo("epoll");
    }

    @Test
    void nioIsAlwaysThere() {
        assertThat(Transport.select(TransportKind.NIO).name()).isEqualTo("nio");
    }
}
