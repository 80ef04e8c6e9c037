package dev.ferryproxy.benchmarks.load;

import dev.ferryproxy.client.SocksClient;
import dev.ferryproxy.client.SocksTarget;
import dev.ferryproxy.client.SocksUdpAssociation;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * UDP datagrams per second through an association (SOCKS5 UDP ASSOCIATE, with the client
 * library) or straight to the UDP echo target: each association keeps a window of datagrams in
 * flight and sends one more for each echo that comes back. A window that sees no echo for
 * {@code --loss-timeout} counts the rest as timed out and starts again, so loss (or a server's
 * pause) slows the run but never stalls it; an echo that comes later still counts as echoed.
 */
@Command(name = "udp-rate", mixinStandardHelpOptions = true,
        description = "Echoed UDP datagrams per second through UDP ASSOCIATE (or direct).")
final class UdpRate extends Workload {
    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "1",
            description = "Associations (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--size", paramLabel = "BYTES", defaultValue = "64", description = "Payload bytes (default: 64).")
    int size;

    @Option(names = "--window", paramLabel = "N", defaultValue = "32",
            description = "Datagrams in flight per association (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--count", paramLabel = "N", defaultValue = "1000000000",
            description = "The most datagrams sent in all; the run also ends with the time.")
    long count;

    @Option(names = "--loss-timeout", paramLabel = "DURATION", defaultValue = "50ms",
            converter = DurationConverter.class,
            description = "No echo for this long: the datagrams in flight are counted lost (default: ${DEFAULT-VALUE}).")
    Duration lossTimeout;

    private final LongAdder echoed = new LongAdder();
    private final LongAdder sent = new LongAdder();
    private final LongAdder lost = new LongAdder();
    private final AtomicLong tickets = new AtomicLong();
    private volatile boolean stopping;

    @Override
    Result run(LoadContext context) throws Exception {
        List<Flow> flows = new ArrayList<>();
        try {
            for (int i = 0; i < concurrency; i++) {
                flows.add(context.proxy() == null ? direct(context) : throughProxy(context));
            }
            long start = System.nanoTime();
            long warmupEnd = start + common.warmup.toNanos();
            long end = warmupEnd + common.duration.toNanos();
            Result result = newResult("udp-rate", context).parameter("associations", concurrency)
                    .parameter("size", size).parameter("window", window);
            try (PerSecondSampler sampler = new PerSecondSampler(echoed::sum, 1, common.warmup.toNanos(), 1000)) {
                for (Flow flow : flows) {
                    flow.start();
                }
                long measuredFrom = start;
                long atWarmupEnd = 0;
                if (!common.warmup.isZero()) {
                    sleepUntil(warmupEnd, () -> tickets.get() >= count && inFlight(flows) == 0);
                    measuredFrom = System.nanoTime();
                    atWarmupEnd = echoed.sum();
                }
                sleepUntil(end, () -> tickets.get() >= count && inFlight(flows) == 0);
                stopping = true;
                long measuredTo = System.nanoTime();
                long measured = echoed.sum() - atWarmupEnd;
                double seconds = (measuredTo - measuredFrom) / 1e9;
                for (Sample sample : sampler.stop()) {
                    result.sample(sample);
                }
                // Echoes still on their way are neither counted as lost nor as echoed.
                Thread.sleep(Math.min(200, lossTimeout.toMillis() * 2));
                return result.sampleUnit("datagrams/s")
                        .figure("datagrams_per_s", measured / seconds, "datagrams/s")
                        .figure("datagrams_measured", measured, "count")
                        .figure("sent_total", sent.sum(), "count")
                        .figure("echoed_total", echoed.sum(), "count")
                        .figure("timed_out_total", lost.sum(), "count");
            }
        } finally {
            for (Flow flow : flows) {
                flow.close();
            }
        }
    }

    private long inFlight(List<Flow> flows) {
        long total = 0;
        for (Flow flow : flows) {
            total += flow.inFlight.get();
        }
        return total;
    }

    private Flow direct(LoadContext context) throws Exception {
        InetSocketAddress echo = LoadContext.resolved(context.targets().udpEcho());
        EventLoop loop = context.group().next();
        Flow flow = new Flow(loop);
        Channel channel = new Bootstrap().group(loop).channel(context.transport().datagramChannelType())
                .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ReferenceCountUtil.release(msg);
                        flow.echoed();
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        flow.sender = payload -> channel.writeAndFlush(new DatagramPacket(payload, echo), channel.voidPromise());
        flow.closer = channel::close;
        return flow;
    }

    private Flow throughProxy(LoadContext context) throws Exception {
        // A client of its own on one loop: the association's channels and the flow share that loop,
        // so sending an echo's successor is a call, not a hand-off between threads.
        EventLoop loop = context.group().next();
        SocksClient client = SocksClient.builder().proxy(context.proxy()).eventLoopGroup(loop)
                .transport(common.transportKind()).connectTimeout(common.timeout).handshakeTimeout(common.timeout)
                .build();
        SocksUdpAssociation association;
        try {
            association = LoadContext.await(client.udpAssociate(), common.timeout,
                    "UDP ASSOCIATE through " + context.proxy());
        } catch (Exception e) {
            client.close();
            throw e;
        }
        InetSocketAddress echo = context.targets().udpEcho();
        SocksTarget target = SocksTarget.of(echo.getHostString(), echo.getPort());
        Flow flow = new Flow(loop);
        association.setReceiver((from, payload) -> {
            payload.release();
            flow.echoed();
        });
        flow.sender = payload -> association.send(target, payload);
        flow.closer = () -> {
            association.close();
            client.close();
        };
        return flow;
    }

    /** One association's window of datagrams in flight. */
    private final class Flow {
        final EventLoop loop;
        final AtomicLong inFlight = new AtomicLong();
        java.util.function.Consumer<ByteBuf> sender;
        Runnable closer;
        private volatile long lastEcho = System.nanoTime();
        private ScheduledFuture<?> lossCheck;

        Flow(EventLoop loop) {
            this.loop = loop;
        }

        void start() {
            loop.execute(() -> {
                for (int i = 0; i < window; i++) {
                    sendOne();
                }
                long check = Math.max(1, lossTimeout.toMillis());
                lossCheck = loop.scheduleAtFixedRate(this::checkLoss, check, check, TimeUnit.MILLISECONDS);
            });
        }

        void echoed() {
            lastEcho = System.nanoTime();
            echoed.increment();
            if (inFlight.getAndUpdate(n -> n > 0 ? n - 1 : 0) == 0) {
                return; // a late echo of a datagram already counted lost: the window was refilled for it
            }
            if (loop.inEventLoop()) {
                sendOne();
            } else {
                loop.execute(this::sendOne);
            }
        }

        private void sendOne() {
            if (stopping || tickets.incrementAndGet() > count) {
                return;
            }
            inFlight.incrementAndGet();
            sent.increment();
            ByteBuf payload = PooledByteBufAllocator.DEFAULT.directBuffer(size).writeZero(size);
            sender.accept(payload);
        }

        /** No echo within the loss timeout: what is in flight is lost; refill the window. */
        private void checkLoss() {
            if (stopping) {
                return;
            }
            long quiet = System.nanoTime() - lastEcho;
            long missing = inFlight.get();
            if (missing > 0 && quiet > lossTimeout.toNanos()) {
                inFlight.addAndGet(-missing);
                lost.add(missing);
                lastEcho = System.nanoTime();
                for (int i = 0; i < window; i++) {
                    sendOne();
                }
            }
        }

        void close() {
            stopping = true;
            if (lossCheck != null) {
                lossCheck.cancel(false);
            }
            if (closer != null) {
                closer.run();
            }
        }
    }
}
