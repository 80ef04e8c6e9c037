package dev.ferryproxy.e2e;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * Runs a blocking step (a read to the end of a stream, say) on its own daemon thread, so it never
 * waits behind another test's leftover work in a shared pool.
 */
final class Background {
    private Background() {
    }

    static <T> CompletableFuture<T> call(String name, Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                result.complete(task.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        return result;
    }
}
