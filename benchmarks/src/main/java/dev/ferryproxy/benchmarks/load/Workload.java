package dev.ferryproxy.benchmarks.load;

import picocli.CommandLine.Mixin;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * One mode of the load generator: sets up a {@link LoadContext}, runs, and hands its
 * {@link Result} to the printer, the results file and any listener (the smoke tests).
 */
abstract class Workload implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();

    private Consumer<Result> listener = result -> { };
    private PrintStream out = System.out;

    Workload listener(Consumer<Result> listener, PrintStream out) {
        this.listener = listener;
        this.out = out;
        return this;
    }

    @Override
    public final Integer call() throws Exception {
        try (LoadContext context = LoadContext.open(common)) {
            if (common.awaitProxy != null && context.proxy() != null) {
                awaitProxy(context.proxy().host(), context.proxy().port(), common.awaitProxy);
            }
            if (common.format() == Results.Format.TEXT) {
                out.println("# " + getClass().getSimpleName() + " " + context.describe());
            }
            Result result = run(context);
            Results.print(result, common.format(), out);
            if (common.resultsFile != null) {
                Results.append(result, common.resultsFile);
            }
            listener.accept(result);
            return 0;
        }
    }

    /** Runs the workload; every loop in it ends by count and by time. */
    abstract Result run(LoadContext context) throws Exception;

    /** A result labelled and parametrised with the common options. */
    Result newResult(String mode, LoadContext context) {
        return new Result(mode, common.labelOrDefault())
                .parameter("proxy", context.proxy() == null ? "direct" : context.proxy().toString())
                .parameter("duration_s", common.duration.toMillis() / 1000.0)
                .parameter("warmup_s", common.warmup.toMillis() / 1000.0);
    }

    /**
     * The sampler's samples, added to {@code result}; with {@code --time-origin}, their times count
     * from that moment (e.g. the server's spawn) rather than from the start of sampling.
     */
    void addSamples(Result result, PerSecondSampler sampler) {
        double shift = 0;
        if (common.timeOriginEpochMs != null) {
            shift = (sampler.startEpochMillis() - common.timeOriginEpochMs) / 1000.0;
            result.parameter("time_origin_epoch_ms", common.timeOriginEpochMs)
                    .parameter("samples_start_s", shift);
        }
        for (Sample sample : sampler.stop()) {
            result.sample(new Sample(Math.round((sample.elapsedSeconds() + shift) * 10) / 10.0, sample.warmup(),
                    sample.value()));
        }
    }

    /**
     * Polls the proxy with plain TCP connections (on this thread, never an event loop) until one is
     * accepted: a server just spawned is measured from its first moment of service.
     */
    static void awaitProxy(String host, int port, java.time.Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        java.io.IOException last = null;
        while (System.nanoTime() < deadline) {
            try (java.net.Socket probe = new java.net.Socket()) {
                probe.connect(new java.net.InetSocketAddress(host, port), 200);
                return;
            } catch (java.io.IOException e) {
                last = e;
            }
            Thread.sleep(5); // a refused connect returns at once: poll, but not in a spin
        }
        throw new java.io.IOException("the proxy " + host + ":" + port + " accepted nothing within " + limit, last);
    }

    /** Sleeps until {@code deadlineNanos}, or until {@code done} says to stop early. */
    static void sleepUntil(long deadlineNanos, java.util.function.BooleanSupplier done) throws InterruptedException {
        while (!done.getAsBoolean()) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return;
            }
            Thread.sleep(Math.max(1, Math.min(20, left / 1_000_000)));
        }
    }
}
