package dev.ferryproxy.benchmarks.load;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bulk throughput over N streams in one direction: "up" writes to the sink, which reports what
 * it received; "down" asks the source for data and counts what arrives. Either way the figure is
 * what reached the receiving end.
 */
@Command(name = "throughput", mixinStandardHelpOptions = true,
        description = "Bulk throughput over N streams, up (to the sink) or down (from the source).")
final class Throughput extends Workload {
    enum Direction { UP, DOWN }

    @Option(names = "--streams", paramLabel = "N", defaultValue = "1", description = "Parallel streams (default: 1).")
    int streams;

    @Option(names = "--direction", paramLabel = "DIR", defaultValue = "up",
            description = "up (client to target) or down (target to client) (default: ${DEFAULT-VALUE}).")
    String direction;

    @Option(names = "--bytes", paramLabel = "N", defaultValue = "0",
            description = "Bytes per stream, then the stream ends; 0: until the time is up (default: 0).")
    long bytes;

    /** Everything that reached a receiving end, over all streams. */
    private final LongAdder received = new LongAdder();

    @Override
    Result run(LoadContext context) throws Exception {
        Direction dir = Direction.valueOf(direction.toUpperCase(java.util.Locale.ROOT));
        List<Stream> running = new ArrayList<>();
        TunnelBatch batch = TunnelBatch.open(context, dir == Direction.UP ? context.targets().sink()
                : context.targets().source(), streams, streams, common.timeout.plusSeconds(5), channel -> {
                    Stream stream = dir == Direction.UP ? new Upload(channel, bytes) : new Download(channel, bytes);
                    synchronized (running) {
                        running.add(stream);
                    }
                    return stream.start();
                });
        if (batch.channels().size() < streams) {
            batch.closeAll();
            throw new IOException(batch.failures() + " of " + streams + " stream(s) did not open: "
                    + batch.firstFailure());
        }
        // All streams run before the clock starts, so the first second already has every one.
        long start = System.nanoTime();
        long bytesAtStart = received.sum();
        long warmupEnd = start + common.warmup.toNanos();
        long end = warmupEnd + common.duration.toNanos();
        Result result = newResult("throughput", context)
                .parameter("direction", dir.name().toLowerCase(java.util.Locale.ROOT))
                .parameter("streams", streams)
                .parameter("bytes_per_stream", bytes);
        try (PerSecondSampler sampler = new PerSecondSampler(received::sum, 8e-9, common.warmup.toNanos(), 1000)) {
            long measuredFrom = start;
            long bytesAtWarmupEnd = bytesAtStart;
            if (!common.warmup.isZero()) {
                sleepUntil(warmupEnd, () -> allDone(running));
                measuredFrom = System.nanoTime();
                bytesAtWarmupEnd = received.sum();
            }
            sleepUntil(end, () -> allDone(running));
            long measuredTo = System.nanoTime();
            long measured = received.sum() - bytesAtWarmupEnd;
            double seconds = (measuredTo - measuredFrom) / 1e9;
            for (Sample sample : sampler.stop()) {
                result.sample(sample);
            }
            result.sampleUnit("Gbit/s")
                    .figure("gbit_per_s", measured * 8 / seconds / 1e9, "Gbit/s")
                    .figure("mib_per_s", measured / seconds / (1024 * 1024), "MiB/s")
                    .figure("bytes_measured", measured, "bytes")
                    .figure("seconds_measured", Math.round(seconds * 1000) / 1000.0, "s");
        }
        batch.closeAll();
        long sent = 0;
        long arrived = 0;
        long failed = 0;
        for (Stream stream : running) {
            sent += stream.sent();
            arrived += stream.arrived();
            if (stream.failed()) {
                failed++;
            }
        }
        result.figure("bytes_sent_total", sent, "bytes").figure("bytes_received_total", arrived, "bytes");
        return result.errors(failed + batch.failures());
    }

    private static boolean allDone(List<Stream> streams) {
        synchronized (streams) {
            for (Stream stream : streams) {
                if (!stream.done().isDone()) {
                    return false;
                }
            }
            return !streams.isEmpty();
        }
    }

    /** One stream; its handler lives in the tunnel's pipeline. */
    private abstract class Stream extends ChannelInboundHandlerAdapter {
        final Channel channel;
        final long limit;
        final Promise<Void> done;
        /** Written on the event loop, read by the main thread at the end. */
        volatile long sent;
        volatile long arrived;
        volatile boolean failed;

        Stream(Channel channel, long limit) {
            this.channel = channel;
            this.limit = limit;
            this.done = channel.eventLoop().newPromise();
        }

        /** Runs on the tunnel's event loop: adds this handler and starts; the future says it is running. */
        Future<?> start() {
            Wire.tuneForBulk(channel);
            channel.pipeline().addLast(this);
            channel.closeFuture().addListener(f -> {
                if (limit > 0 && arrived != limit) {
                    failed = true;
                }
                done.trySuccess(null);
            });
            begin();
            return channel.newSucceededFuture();
        }

        abstract void begin();

        Future<Void> done() {
            return done;
        }

        long sent() {
            return sent;
        }

        long arrived() {
            return arrived;
        }

        boolean failed() {
            return failed;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Writes the shared chunk while the socket takes it; reads the sink's counts. */
    private final class Upload extends Stream {
        private ByteBuf chunk;
        private long lastCount;
        private long partial;
        private int partialBytes;
        private boolean ended;

        Upload(Channel channel, long limit) {
            super(channel, limit);
        }

        @Override
        void begin() {
            chunk = Wire.newChunk(channel.alloc());
            channel.closeFuture().addListener(f -> releaseChunk());
            channel.config().setAutoRead(true);
            pump();
        }

        private void pump() {
            if (ended || chunk == null) {
                return;
            }
            boolean wrote = false;
            long written = sent;
            while (channel.isWritable() && (limit == 0 || written < limit)) {
                int length = limit == 0 ? Wire.CHUNK_BYTES : (int) Math.min(Wire.CHUNK_BYTES, limit - written);
                channel.write(chunk.retainedSlice(0, length), channel.voidPromise());
                written += length;
                wrote = true;
            }
            sent = written;
            if (wrote) {
                channel.flush();
            }
            if (limit > 0 && written == limit) {
                // Everything is queued: the half-close makes the sink send its final count.
                ended = true;
                releaseChunk();
                Wire.shutdownOutputAfterWrites(channel);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            pump();
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf) {
                ByteBuf in = (ByteBuf) msg;
                while (in.isReadable()) {
                    partial = partial << 8 | in.readUnsignedByte();
                    if (++partialBytes == Wire.COUNT_BYTES) {
                        received.add(partial - lastCount);
                        lastCount = partial;
                        arrived = partial;
                        partial = 0;
                        partialBytes = 0;
                    }
                }
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.close(); // the sink sent its last count
            }
            ReferenceCountUtil.release(evt);
        }

        private void releaseChunk() {
            if (chunk != null) {
                chunk.release();
                chunk = null;
            }
        }
    }

    /** Asks the source for data and counts what arrives. */
    private final class Download extends Stream {
        Download(Channel channel, long limit) {
            super(channel, limit);
        }

        @Override
        void begin() {
            channel.writeAndFlush(Wire.count(channel.alloc(), limit), channel.voidPromise());
            channel.config().setAutoRead(true);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf) {
                int n = ((ByteBuf) msg).readableBytes();
                arrived += n;
                received.add(n);
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.close(); // the source sent all it was asked for
            }
            ReferenceCountUtil.release(evt);
        }
    }
}
