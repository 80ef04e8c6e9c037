package dev.ferryproxy.benchmarks;

import dev.ferryproxy.server.ProxyServerConfig;

/**
 * Named server tunings for {@link RelayThroughputBenchmark}'s {@code tuning} parameter, so that
 * they can be compared with the defaults in one run.
 */
final class Tuning {
    private Tuning() {
    }

    /** Applies {@code names} ({@code +}-separated) to {@code config}, and to the server about to start. */
    static ProxyServerConfig.Builder apply(String names, ProxyServerConfig.Builder config) {
        for (String p : new String[] {"rcvMax", "maxMessagesPerRead", "sockBuf"}) {
            System.clearProperty("ferry.tune." + p);
        }
        for (String name : names.split("\\+")) {
            applyOne(name, config);
        }
        return config;
    }

    private static void applyOne(String name, ProxyServerConfig.Builder config) {
        switch (name) {
            case "default" -> { }
            // receive buffers may grow to 256 KiB (default 64 KiB)
            case "rcv256k" -> System.setProperty("ferry.tune.rcvMax", String.valueOf(256 * 1024));
            case "rcv1m" -> System.setProperty("ferry.tune.rcvMax", String.valueOf(1024 * 1024));
            // fewer reads per batch (default 16)
            case "msgs4" -> System.setProperty("ferry.tune.maxMessagesPerRead", "4");
            case "msgs64" -> System.setProperty("ferry.tune.maxMessagesPerRead", "64");
            // water marks 256/512 KiB (default 32/64 KiB)
            case "wm512k" -> config.writeBufferWaterMarks(256 * 1024, 512 * 1024);
            // fixed 1 MiB socket buffers (default: the kernel's autotuning)
            case "sock1m" -> System.setProperty("ferry.tune.sockBuf", String.valueOf(1024 * 1024));
            default -> throw new IllegalArgumentException("tuning: " + name);
        }
    }
}
