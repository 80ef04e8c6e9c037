package dev.ferryproxy.benchmarks.load;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * A client that stops reading while the target sends: N tunnels ask the source for endless data
 * and never read, while the server's memory is sampled. A server with working backpressure
 * stays flat (the data waits in socket buffers); one without it grows. At the end the tunnels
 * read for a moment, to show the data was held, not dropped.
 */
@Command(name = "slow-reader", mixinStandardHelpOptions = true,
        description = "Tunnels that never read while the source sends; samples the server's memory (--server-pid).")
final class SlowReader extends Workload {
    @Option(names = "--tunnels", paramLabel = "N", defaultValue = "8",
            description = "Tunnels that stop reading (default: ${DEFAULT-VALUE}).")
    int tunnels;

    @Option(names = "--sample-interval", paramLabel = "DURATION", defaultValue = "1s",
            converter = DurationConverter.class, description = "How often to read the memory (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--resume", paramLabel = "DURATION", defaultValue = "500ms", converter = DurationConverter.class,
            description = "How long the tunnels read at the end (default: ${DEFAULT-VALUE}).")
    Duration resume;

    @Override
    Result run(LoadContext context) throws Exception {
        if (context.serverPid() == null) {
            throw new IllegalArgumentException("slow-reader needs --server-pid (the process whose memory to read)");
        }
        long pid = context.serverPid();
        Result result = newResult("slow-reader", context).parameter("tunnels", tunnels).parameter("server_pid", pid);
        ServerMemory.Reading before = ServerMemory.read(pid);
        TunnelBatch batch = TunnelBatch.open(context, context.targets().source(), tunnels, Math.min(tunnels, 64),
                common.timeout.plusSeconds(5), channel -> {
                    // Ask for endless data, and never read: auto-read stays off.
                    return channel.writeAndFlush(Wire.count(channel.alloc(), 0));
                });
        List<Channel> open = batch.channels();
        if (open.isEmpty()) {
            throw new IOException("no tunnel opened: " + batch.firstFailure());
        }
        long start = System.nanoTime();
        long end = start + common.warmup.toNanos() + common.duration.toNanos();
        long max = before.rssBytes();
        long last = before.rssBytes();
        ServerMemory.Reading firstAfterOpen = null;
        try {
            while (System.nanoTime() < end) {
                Thread.sleep(Math.max(1, Math.min(interval.toMillis(), (end - System.nanoTime()) / 1_000_000)));
                ServerMemory.Reading reading = ServerMemory.read(pid);
                if (firstAfterOpen == null) {
                    firstAfterOpen = reading;
                }
                double t = Math.round((System.nanoTime() - start) / 1e8) / 10.0;
                boolean warm = System.nanoTime() - start <= common.warmup.toNanos();
                result.sample(new Sample(t, warm, reading.rssBytes() / (1024.0 * 1024.0)));
                max = Math.max(max, reading.rssBytes());
                last = reading.rssBytes();
            }
            LongAdder readAfter = new LongAdder();
            for (Channel channel : open) {
                channel.eventLoop().execute(() -> {
                    channel.pipeline().addLast(new Counter(readAfter));
                    channel.config().setAutoRead(true);
                });
            }
            Thread.sleep(resume.toMillis());
            result.sampleUnit("MiB RSS")
                    .figure("rss_growth_bytes", last - (firstAfterOpen == null ? before.rssBytes()
                            : firstAfterOpen.rssBytes()), "bytes")
                    .figure("rss_before_bytes", before.rssBytes(), "bytes")
                    .figure("rss_max_bytes", max, "bytes")
                    .figure("rss_last_bytes", last, "bytes")
                    .figure("tunnels_open", open.size(), "count")
                    .figure("bytes_read_after_resume", readAfter.sum(), "bytes");
        } finally {
            batch.closeAll();
        }
        return result.errors(batch.failures());
    }

    /** Counts and drops what the tunnel delivers once it reads again. */
    private static final class Counter extends ChannelInboundHandlerAdapter {
        private final LongAdder total;

        Counter(LongAdder total) {
            this.total = total;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf) {
                total.add(((ByteBuf) msg).readableBytes());
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
