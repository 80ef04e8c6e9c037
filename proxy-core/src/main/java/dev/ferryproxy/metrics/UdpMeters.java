package dev.ferryproxy.metrics;

import dev.ferryproxy.udp.UdpAssociateService;
import dev.ferryproxy.udp.UdpDrop;
import dev.ferryproxy.udp.UdpStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Locale;

/**
 * UDP ASSOCIATE's meters. The service already counts everything (in {@link UdpStats}), so these
 * only read its counters at scrape time and the relay path gains no work.
 */
public final class UdpMeters {
    private UdpMeters() {
    }

    public static void bind(MeterRegistry registry, UdpAssociateService udp) {
        UdpStats totals = udp.totals();
        Gauge.builder("ferry.udp.associations.active", udp, service -> service.associations().size())
                .description("UDP associations open now").register(registry);
        FunctionCounter.builder("ferry.udp.associations.opened", udp, UdpAssociateService::associationsOpened)
                .description("UDP associations opened").register(registry);
        FunctionCounter.builder("ferry.udp.datagrams", totals, UdpStats::datagramsToTargets)
                .description("Datagrams relayed").tag("direction", "client_to_target").register(registry);
        FunctionCounter.builder("ferry.udp.datagrams", totals, UdpStats::datagramsToClient)
                .description("Datagrams relayed").tag("direction", "target_to_client").register(registry);
        FunctionCounter.builder("ferry.udp.relayed.bytes", totals, UdpStats::bytesToTargets)
                .description("Datagram payload bytes relayed").tag("direction", "client_to_target").register(registry);
        FunctionCounter.builder("ferry.udp.relayed.bytes", totals, UdpStats::bytesToClient)
                .description("Datagram payload bytes relayed").tag("direction", "target_to_client").register(registry);
        for (UdpDrop reason : UdpDrop.values()) {
            FunctionCounter.builder("ferry.udp.dropped", totals, stats -> stats.dropped(reason))
                    .description("Datagrams not relayed, by reason")
                    .tag("reason", reason.name().toLowerCase(Locale.ROOT)).register(registry);
        }
    }
}
