package dev.ferryproxy.benchmarks.load;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Tunnels per second: each of C clients, over and over, connects, runs the handshake, sends a
 * 64-byte message to the echo target, reads it back, and closes. Latencies of the handshake
 * (TCP connect to usable tunnel) and of the whole cycle (to the local close).
 */
@Command(name = "connect-rate", mixinStandardHelpOptions = true,
        description = "Concurrent clients each doing connect, handshake, 64-byte echo, close.")
final class ConnectRate extends Workload {
    @Option(names = "--concurrency", paramLabel = "C", defaultValue = "16",
            description = "Clients running cycles at once (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--count", paramLabel = "N", defaultValue = "100000000",
            description = "The most cycles in all (warm-up included); the run also ends with the time.")
    long count;

    @Option(names = "--size", paramLabel = "BYTES", defaultValue = "64",
            description = "Bytes echoed in each cycle (default: ${DEFAULT-VALUE}).")
    int size;

    private final Latencies handshakes = new Latencies();
    private final Latencies cycles = new Latencies();
    private final LongAdder completed = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicLong tickets = new AtomicLong();
    private volatile boolean stopping;
    private volatile Throwable firstFailure;

    @Override
    Result run(LoadContext context) throws Exception {
        CountDownLatch clientsEnded = new CountDownLatch(concurrency);
        long start = System.nanoTime();
        long warmupEnd = start + common.warmup.toNanos();
        long end = warmupEnd + common.duration.toNanos();
        Result result = newResult("connect-rate", context).parameter("concurrency", concurrency)
                .parameter("size", size);
        try (PerSecondSampler sampler = new PerSecondSampler(completed::sum, 1, common.warmup.toNanos(), 1000)) {
            for (int i = 0; i < concurrency; i++) {
                EventLoop loop = context.group().next();
                loop.execute(() -> cycle(context, loop, clientsEnded));
            }
            long measuredFrom = start;
            long completedAtWarmupEnd = 0;
            CpuWindow cpu = new CpuWindow(common.cpuPidOrDefault(), common.targetsPid);
            if (!common.warmup.isZero()) {
                sleepUntil(warmupEnd, () -> clientsEnded.getCount() == 0);
                handshakes.reset();
                cycles.reset();
                measuredFrom = System.nanoTime();
                completedAtWarmupEnd = completed.sum();
                cpu = new CpuWindow(common.cpuPidOrDefault(), common.targetsPid);
            }
            sleepUntil(end, () -> clientsEnded.getCount() == 0);
            stopping = true;
            long measuredTo = System.nanoTime();
            long measured = completed.sum() - completedAtWarmupEnd;
            cpu.end();
            Histogram handshake = handshakes.take();
            Histogram cycle = cycles.take();
            // Cycles under way end within the timeout; wait for them so no channel outlives the run.
            clientsEnded.await(common.timeout.toMillis() + 2000, TimeUnit.MILLISECONDS);
            double seconds = (measuredTo - measuredFrom) / 1e9;
            addSamples(result, sampler);
            result.sampleUnit("tunnels/s")
                    .figure("tunnels_per_s", measured / seconds, "tunnels/s")
                    .figure("cycles_measured", measured, "count")
                    .figure("cycles_total", completed.sum(), "count")
                    .figure("seconds_measured", Math.round(seconds * 1000) / 1000.0, "s");
            cpu.addFigures(result, measured, seconds);
            Latencies.addFigures(result, "handshake", handshake);
            Latencies.addFigures(result, "cycle", cycle);
        }
        if (firstFailure != null) {
            result.parameter("first_error", firstFailure.toString());
        }
        return result.errors(failed.sum());
    }

    /** One cycle of one client; the next begins when it ends, on the same event loop. */
    private void cycle(LoadContext context, EventLoop loop, CountDownLatch clientsEnded) {
        if (stopping || tickets.incrementAndGet() > count) {
            clientsEnded.countDown();
            return;
        }
        long began = System.nanoTime();
        context.open(context.targets().echo()).addListener(opened -> {
            if (!opened.isSuccess()) {
                failure(opened.cause());
                // A refused connection fails at once: pause briefly rather than spin.
                loop.schedule(() -> cycle(context, loop, clientsEnded), 10, TimeUnit.MILLISECONDS);
                return;
            }
            long handshakeDone = System.nanoTime();
            Channel channel = (Channel) opened.getNow();
            channel.eventLoop().execute(() -> EchoExchange.install(channel, size).exchange().addListener(echoed -> {
                channel.close().addListener(closed -> {
                    if (echoed.isSuccess()) {
                        handshakes.record(handshakeDone - began);
                        cycles.record(System.nanoTime() - began);
                        completed.increment();
                    } else {
                        failure(echoed.cause());
                    }
                    loop.execute(() -> cycle(context, loop, clientsEnded));
                });
            }));
        });
    }

    private void failure(Throwable cause) {
        failed.increment();
        if (firstFailure == null) {
            firstFailure = cause;
        }
    }
}
