package dev.ferryproxy.benchmarks.load;

import io.netty.channel.Channel;
import io.netty.util.concurrent.Promise;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Request/response latency over persistent tunnels: each of N tunnels to the echo target sends a
 * request and waits for all of it to come back before sending the next (closed loop), so the
 * figure is the round trip through the proxy, not the handshake.
 */
@Command(name = "request-response", mixinStandardHelpOptions = true,
        description = "Round trips of a fixed-size message over persistent tunnels to the echo target.")
final class RequestResponse extends Workload {
    @Option(names = "--connections", paramLabel = "N", defaultValue = "1",
            description = "Persistent tunnels, each with one request outstanding (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--size", paramLabel = "BYTES", defaultValue = "64",
            description = "Bytes of each request, and of its echo (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--count", paramLabel = "N", defaultValue = "1000000000",
            description = "The most round trips in all (warm-up included); the run also ends with the time.")
    long count;

    private final Latencies latencies = new Latencies();
    private final LongAdder completed = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicLong tickets = new AtomicLong();
    private volatile boolean stopping;

    @Override
    Result run(LoadContext context) throws Exception {
        TunnelBatch batch = TunnelBatch.open(context, context.targets().echo(), connections, Math.min(connections, 64),
                common.timeout.plusSeconds(5), channel -> {
                    EchoExchange.install(channel, size);
                    return channel.newSucceededFuture();
                });
        List<Channel> tunnels = batch.channels();
        if (tunnels.isEmpty()) {
            throw new IOException("no tunnel opened: " + batch.firstFailure());
        }
        CountDownLatch loopsEnded = new CountDownLatch(tunnels.size());
        long start = System.nanoTime();
        long warmupEnd = start + common.warmup.toNanos();
        long end = warmupEnd + common.duration.toNanos();
        Result result = newResult("request-response", context).parameter("connections", connections)
                .parameter("size", size);
        try (PerSecondSampler sampler = new PerSecondSampler(completed::sum, 1, common.warmup.toNanos(), 1000)) {
            for (Channel tunnel : tunnels) {
                EchoExchange exchange = tunnel.pipeline().get(EchoExchange.class);
                tunnel.eventLoop().execute(() -> roundTrip(exchange, loopsEnded));
            }
            long measuredFrom = start;
            long atWarmupEnd = 0;
            if (!common.warmup.isZero()) {
                sleepUntil(warmupEnd, () -> loopsEnded.getCount() == 0);
                latencies.reset();
                measuredFrom = System.nanoTime();
                atWarmupEnd = completed.sum();
            }
            sleepUntil(end, () -> loopsEnded.getCount() == 0);
            stopping = true;
            long measuredTo = System.nanoTime();
            long measured = completed.sum() - atWarmupEnd;
            Histogram histogram = latencies.take();
            loopsEnded.await(common.timeout.toMillis() + 2000, TimeUnit.MILLISECONDS);
            double seconds = (measuredTo - measuredFrom) / 1e9;
            for (Sample sample : sampler.stop()) {
                result.sample(sample);
            }
            result.sampleUnit("requests/s")
                    .figure("requests_per_s", measured / seconds, "requests/s")
                    .figure("requests_measured", measured, "count")
                    .figure("requests_total", completed.sum(), "count")
                    .figure("tunnels", tunnels.size(), "count");
            Latencies.addFigures(result, "rtt", histogram);
        } finally {
            batch.closeAll();
        }
        return result.errors(failed.sum() + batch.failures());
    }

    private void roundTrip(EchoExchange exchange, CountDownLatch loopsEnded) {
        if (stopping || tickets.incrementAndGet() > count) {
            loopsEnded.countDown();
            return;
        }
        long began = System.nanoTime();
        Promise<Void> done = exchange.exchange();
        done.addListener(f -> {
            if (f.isSuccess()) {
                latencies.record(System.nanoTime() - began);
                completed.increment();
                roundTrip(exchange, loopsEnded);
            } else {
                failed.increment();
                loopsEnded.countDown(); // a broken tunnel ends its loop
            }
        });
    }
}
