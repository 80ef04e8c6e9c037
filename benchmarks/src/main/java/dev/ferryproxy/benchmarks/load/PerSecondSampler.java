package dev.ferryproxy.benchmarks.load;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Samples a running total once per interval on a thread of its own (never an event loop), and
 * turns each interval's growth into a rate: the warm-up curve and the steadiness of a run.
 */
final class PerSecondSampler implements AutoCloseable {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "load-sampler");
        thread.setDaemon(true);
        return thread;
    });
    private final List<Sample> samples = new ArrayList<>();
    private final LongSupplier total;
    private final double scale;
    private final long startNanos;
    private final long startEpochMillis;
    private final long warmupEndNanos;
    private final long intervalNanos;
    private long lastNanos;
    private long lastTotal;

    /**
     * Starts sampling at once.
     *
     * @param total the running total (bytes, cycles, datagrams)
     * @param scale what one unit of the total per second is in the sample's unit (e.g. 8e-9 for Gbit/s)
     * @param warmupNanos samples that end within this time from now are marked as warm-up
     */
    PerSecondSampler(LongSupplier total, double scale, long warmupNanos, long intervalMillis) {
        this.total = total;
        this.scale = scale;
        this.startNanos = System.nanoTime();
        this.startEpochMillis = System.currentTimeMillis();
        this.warmupEndNanos = startNanos + warmupNanos;
        this.lastNanos = startNanos;
        this.intervalNanos = intervalMillis * 1_000_000L;
        this.lastTotal = total.getAsLong();
        timer.scheduleAtFixedRate(this::tick, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }

    private synchronized void tick() {
        long now = System.nanoTime();
        long value = total.getAsLong();
        double seconds = (now - lastNanos) / 1e9;
        samples.add(new Sample(round((now - startNanos) / 1e9), now <= warmupEndNanos + 50_000_000L,
                (value - lastTotal) / seconds * scale));
        lastNanos = now;
        lastTotal = value;
    }

    /** Stops sampling and returns the samples taken, with a last partial one when over half an interval was left. */
    synchronized List<Sample> stop() {
        timer.shutdownNow();
        if (System.nanoTime() - lastNanos > intervalNanos / 2) {
            tick();
        }
        return new ArrayList<>(samples);
    }

    /** The wall-clock moment sampling began, to count sample times from another origin. */
    long startEpochMillis() {
        return startEpochMillis;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    private static double round(double seconds) {
        return Math.round(seconds * 10) / 10.0;
    }
}
