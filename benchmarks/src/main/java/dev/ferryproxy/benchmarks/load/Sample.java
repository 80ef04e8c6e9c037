package dev.ferryproxy.benchmarks.load;

/**
 * One per-second (or per-interval) sample of a run, for warm-up curves and memory over time.
 *
 * @param elapsedSeconds seconds since the run began, at the end of the interval
 * @param warmup whether the interval fell in the warm-up (its figures are not in the result)
 * @param value the figure for the interval, in the result's {@link Result#sampleUnit()}
 */
public record Sample(double elapsedSeconds, boolean warmup, double value) {
}
