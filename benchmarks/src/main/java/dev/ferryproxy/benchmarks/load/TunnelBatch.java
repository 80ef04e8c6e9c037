package dev.ferryproxy.benchmarks.load;

import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Opens many tunnels to one target, at most {@code parallel} at a time, each made ready by a
 * step of the workload's (a first echo, a request header) before the next one starts. Bounded
 * in count and in time.
 */
final class TunnelBatch {
    private final LoadContext context;
    private final InetSocketAddress target;
    private final int count;
    private final Function<Channel, Future<?>> prepare;
    private final long deadlineNanos;
    private final AtomicInteger started = new AtomicInteger();
    private final AtomicInteger finished = new AtomicInteger();
    private final AtomicLong failures = new AtomicLong();
    private final ConcurrentLinkedQueue<Channel> ready = new ConcurrentLinkedQueue<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private volatile Throwable firstFailure;

    private TunnelBatch(LoadContext context, InetSocketAddress target, int count,
            Function<Channel, Future<?>> prepare, long deadlineNanos) {
        this.context = context;
        this.target = target;
        this.count = count;
        this.prepare = prepare;
        this.deadlineNanos = deadlineNanos;
    }

    /**
     * Opens {@code count} tunnels and waits (up to {@code within}) until each is ready or failed.
     *
     * @param prepare run on the tunnel's event loop once it is open; its future says when it is ready
     */
    static TunnelBatch open(LoadContext context, InetSocketAddress target, int count, int parallel,
            java.time.Duration within, Function<Channel, Future<?>> prepare) throws InterruptedException {
        TunnelBatch batch = new TunnelBatch(context, target, count, prepare, System.nanoTime() + within.toNanos());
        if (count == 0) {
            return batch;
        }
        for (int i = 0; i < Math.min(parallel, count); i++) {
            batch.next();
        }
        try {
            batch.done.get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            batch.started.set(Integer.MAX_VALUE / 2); // start no more; those under way may still finish
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
        return batch;
    }

    private void next() {
        int index = started.getAndIncrement();
        if (index >= count) {
            return;
        }
        if (System.nanoTime() > deadlineNanos) {
            finish(new TimeoutException("tunnel " + index + " not started: the time for opening ran out"));
            return;
        }
        context.open(target).addListener(opened -> {
            if (!opened.isSuccess()) {
                finish(opened.cause());
                return;
            }
            Channel channel = (Channel) opened.getNow();
            Future<?> prepared;
            try {
                prepared = prepare.apply(channel);
            } catch (RuntimeException e) {
                channel.close();
                finish(e);
                return;
            }
            // A tunnel that opened but never becomes ready (a server that stops relaying) fails
            // after the timeout, instead of holding the whole batch to its deadline.
            io.netty.util.concurrent.ScheduledFuture<?> stuck = channel.eventLoop().schedule(() -> {
                if (!prepared.isDone()) {
                    prepared.cancel(false);
                    channel.close();
                }
            }, context.options().timeout.toMillis(), TimeUnit.MILLISECONDS);
            prepared.addListener(p -> {
                stuck.cancel(false);
                if (p.isCancelled()) {
                    channel.close();
                    finish(new TimeoutException("tunnel opened but not ready within " + context.options().timeout));
                    return;
                }
                if (p.isSuccess()) {
                    ready.add(channel);
                    finish(null);
                } else {
                    channel.close();
                    finish(p.cause());
                }
            });
        });
    }

    private void finish(Throwable failure) {
        if (failure != null) {
            failures.incrementAndGet();
            if (firstFailure == null) {
                firstFailure = failure;
            }
        }
        if (finished.incrementAndGet() >= count) {
            done.complete(null);
        } else {
            next();
        }
    }

    /** The tunnels that opened and are ready. */
    List<Channel> channels() {
        return List.copyOf(ready);
    }

    long failures() {
        return failures.get() + Math.max(0, count - finished.get());
    }

    /** The first failure, for the message; {@code null} when none. */
    Throwable firstFailure() {
        return firstFailure;
    }

    /** Closes every tunnel and waits (briefly) for the closes. */
    void closeAll() {
        for (Channel channel : ready) {
            channel.close();
        }
        for (Channel channel : ready) {
            channel.closeFuture().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }
}
