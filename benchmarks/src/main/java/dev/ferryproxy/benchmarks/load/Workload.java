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
