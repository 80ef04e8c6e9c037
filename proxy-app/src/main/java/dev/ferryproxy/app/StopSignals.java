package dev.ferryproxy.app;

import sun.misc.Signal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Turns SIGTERM and SIGINT into a clean stop: the main thread wakes, closes the server and
 * returns, so the process exits 0 instead of dying with 143. A second signal while stopping
 * ends the process at once.
 */
final class StopSignals {
    private final CompletableFuture<String> received = new CompletableFuture<>();

    private StopSignals() {
    }

    static StopSignals install() {
        StopSignals stop = new StopSignals();
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                if (!stop.received.complete("SIG" + signal.getName())) {
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
}
