package dev.ferryproxy.limits;

import io.netty.channel.EventLoop;
import io.netty.channel.SingleThreadEventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The limits thread ({@code ferry-limits}): every call to the shared store is made from it, never
 * from an event loop (the Redis client takes a lock to write a command). Calls asked for while it
 * is busy or asleep are run together, and the store is flushed once after them, so that a burst of
 * new tunnels costs one wake-up and one write to Redis rather than one each.
 */
final class LimitsThread implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LimitsThread.class);

    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "ferry-limits");
        thread.setDaemon(true);
        return thread;
    });
    private final Queue<Runnable> calls = new ConcurrentLinkedQueue<>();
    /** Set while a drain of {@link #calls} is scheduled and has not started taking calls. */
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Supplier<FleetStore> store;
    private volatile boolean closed;

    /** @param store the store in use when a batch ends (flushed then), or null for none */
    LimitsThread(Supplier<FleetStore> store) {
        this.store = store;
    }

    /** Runs {@code call} on the limits thread soon, with any others asked for meanwhile. */
    void submit(Runnable call) {
        submit(call, null);
    }

    /**
     * Runs {@code call} on the limits thread soon, with any others asked for meanwhile. Asked from
     * {@code caller}, an event loop (or null): the limits thread is woken when the loop's current
     * iteration ends, so that the other channels the iteration serves add their calls to the same
     * batch. Woken at once, on one core the limits thread would take the core from the loop after
     * each call and send batches of one or two.
     */
    void submit(Runnable call, EventLoop caller) {
        if (closed) {
            // a tunnel that closes after its server's limits: its lease expires with its TTL
            // (and a stopped executor would take a lock to refuse the call, on an event loop)
            return;
        }
        calls.add(call);
        if (drainScheduled.compareAndSet(false, true)) {
            if (caller instanceof SingleThreadEventLoop loop && loop.inEventLoop()) {
                try {
                    loop.executeAfterEventLoopIteration(this::startDrain);
                    return;
                } catch (RejectedExecutionException e) {
                    // the loop is stopping: wake the limits thread now
                }
            }
            startDrain();
        }
    }

    private void startDrain() {
        try {
            executor.execute(this::drain);
        } catch (RejectedExecutionException e) {
            log.debug("limits thread stopped; call dropped");
        }
    }

    /** Runs {@code task} every {@code periodMillis} on the limits thread, flushing the store after it. */
    void every(long periodMillis, TimeUnit unit, Runnable task) {
        executor.scheduleWithFixedDelay(() -> {
            runLogged(task);
            flush();
        }, periodMillis, periodMillis, unit);
    }

    private void drain() {
        // cleared before taking calls: one submitted from now on schedules the next drain
        drainScheduled.set(false);
        Runnable call;
        while ((call = calls.poll()) != null) {
            runLogged(call);
        }
        flush();
    }

    private static void runLogged(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            // one failed call must not end the thread that every later call runs on
            log.warn("limits: {} failed", task, e);
        }
    }

    private void flush() {
        FleetStore current = store.get();
        if (current != null) {
            try {
                current.flush();
            } catch (RuntimeException e) {
                log.debug("limits store flush failed: {}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        executor.shutdownNow();
    }
}
