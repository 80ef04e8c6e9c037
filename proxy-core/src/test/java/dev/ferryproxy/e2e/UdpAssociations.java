package dev.ferryproxy.e2e;

import dev.ferryproxy.testing.RawUdpAssociation;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.udp.UdpAssociation;
import dev.ferryproxy.udp.UdpDrop;
import dev.ferryproxy.udp.UdpStats;
import org.awaitility.Awaitility;

import java.time.Duration;
import java.util.function.LongSupplier;

/** Looking at a running proxy's UDP associations from a test: finding one, and waiting on its counters. */
final class UdpAssociations {
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    private UdpAssociations() {
    }

    /**
     * The server side of {@code client}'s association, found by its relay port. The reply can reach
     * the client a moment before the association registers, so this waits for it.
     */
    static UdpAssociation serverSide(RunningProxy proxy, RawUdpAssociation client) {
        int port = client.reply().bnd().getPort();
        return serverSide(proxy, port);
    }

    /** The association whose relay socket has {@code relayPort}, once it has registered. */
    static UdpAssociation serverSide(RunningProxy proxy, int relayPort) {
        return Awaitility.await("the association on relay port " + relayPort).atMost(TIMEOUT)
                .pollInterval(Duration.ofMillis(5))
                .until(() -> proxy.server().udp().associations().stream()
                        .filter(a -> a.relayAddress().getPort() == relayPort).findFirst().orElse(null),
                        a -> a != null);
    }

    /** Waits until {@code stats} has counted at least {@code count} drops for {@code reason}. */
    static void awaitDropped(UdpStats stats, UdpDrop reason, long count) {
        awaitAtLeast(reason + " drops (" + stats + ")", () -> stats.dropped(reason), count);
    }

    /** Waits until {@code counter} reads at least {@code count}. */
    static void awaitAtLeast(String what, LongSupplier counter, long count) {
        Awaitility.await(what + " to reach " + count).atMost(TIMEOUT).pollInterval(Duration.ofMillis(5))
                .until(() -> counter.getAsLong() >= count);
    }

    /** Waits until {@code association} has ended and its server has forgotten it. */
    static void awaitEnded(RunningProxy proxy, UdpAssociation association) {
        Awaitility.await("the association to end: " + association).atMost(TIMEOUT).pollInterval(Duration.ofMillis(5))
                .until(() -> !association.isOpen() && !proxy.server().udp().associations().contains(association));
    }
}
