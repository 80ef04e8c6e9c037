package dev.ferryproxy.app;

import sun.misc.Signal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Turns SIGTERM and SIGINT into a clean stop: the first starts the graceful drain, the second
 * cuts the drain short (the open connections are closed at once, and the process still exits 0).
 * A third, while closing hangs, ends the process at once with exit code 1.
 */
final class StopSignals {
    private final CompletableFuture<String> received = new CompletableFuture<>();
    private final CompletableFuture<String> again = new CompletableFuture<>();
    private final AtomicInteger count = new AtomicInteger();

    private StopSignals() {
    }

    static StopSignals install() {
        StopSignals stop = new StopSignals();
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                int n = stop.count.incrementAndGet();
                if (n == 1) {
                    stop.received.complete("SIG" + signal.getName());
                } else if (n == 2) {
                    stop.again.complete("SIG" + signal.getName());
                } else {
                    Runtime.getRuntime().halt(1);
                }
            });
        }
        return stop;
    }

    /** Blocks until a stop signal arrives; returns its name. */
    String await() throws InterruptedException {
        try {
            return received.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Completes with the second stop signal's name. */
    CompletableFuture<String> second() {
        return again;
    }
}
