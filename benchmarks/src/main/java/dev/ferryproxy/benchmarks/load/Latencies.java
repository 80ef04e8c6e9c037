package dev.ferryproxy.benchmarks.load;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A latency histogram that event loops record into without locks (HdrHistogram's
 * {@link Recorder}); {@link #reset()} drops the warm-up, {@link #take()} hands over what was
 * recorded since.
 */
final class Latencies {
    /** Up to a minute, three significant digits. */
    private final Recorder recorder = new Recorder(60_000_000_000L, 3);

    void record(long nanos) {
        recorder.recordValue(Math.max(0, Math.min(nanos, 60_000_000_000L)));
    }

    /** Forgets everything recorded so far. */
    void reset() {
        recorder.getIntervalHistogram();
    }

    /** What was recorded since the last reset or take. */
    Histogram take() {
        return recorder.getIntervalHistogram();
    }

    /** Adds count and p50/p99/p99.9/max (microseconds) of {@code histogram} to {@code result}, as {@code name_p50_us}... */
    static void addFigures(Result result, String name, Histogram histogram) {
        result.figure(name + "_p50_us", micros(histogram.getValueAtPercentile(50)), "us")
                .figure(name + "_p99_us", micros(histogram.getValueAtPercentile(99)), "us")
                .figure(name + "_p999_us", micros(histogram.getValueAtPercentile(99.9)), "us")
                .figure(name + "_max_us", micros(histogram.getMaxValue()), "us")
                .figure(name + "_count", histogram.getTotalCount(), "count");
    }

    private static double micros(long nanos) {
        return Math.round(nanos / 100.0) / 10.0;
    }
}
