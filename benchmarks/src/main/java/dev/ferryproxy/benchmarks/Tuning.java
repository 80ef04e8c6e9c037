package dev.ferryproxy.benchmarks;

import dev.ferryproxy.server.ProxyServerConfig;

/**
 * Named server tunings for the {@code tuning} parameter of {@link RelayThroughputBenchmark} and
 * {@link RelayComparison} ({@code +} joins several), compared with the defaults in one run.
 * The receive-buffer, reads-per-batch and socket-buffer tunings measured in docs/performance.md
 * used a temporary hook (commit "benchmarks: relay mode, direction and tuning parameters"), removed
 * since; the water marks are a setting.
 */
final class Tuning {
    private Tuning() {
    }

    static ProxyServerConfig.Builder apply(String names, ProxyServerConfig.Builder config) {
        for (String name : names.split("\\+")) {
            switch (name) {
                case "default" -> { }
                // water marks 256/512 KiB (default 32/64 KiB)
                case "wm512k" -> config.writeBufferWaterMarks(256 * 1024, 512 * 1024);
                default -> throw new IllegalArgumentException("tuning: " + name);
            }
        }
        return config;
    }
}
