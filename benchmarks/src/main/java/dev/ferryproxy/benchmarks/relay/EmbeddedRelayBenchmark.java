package dev.ferryproxy.benchmarks.relay;

import dev.ferryproxy.relay.RelayHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@link RelayHandler} alone, between two {@link EmbeddedChannel}s: one operation is a read batch
 * of {@code reads} pooled direct buffers arriving on the client side, each written to the target
 * side, one flush, and the target side's outbound queue drained and released (as its socket
 * would). No sockets, so this is the handler's and the pipeline's own cost per buffer.
 * The real-socket relay is {@code RelayThroughputBenchmark}.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar relay.EmbeddedRelayBenchmark -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
public class EmbeddedRelayBenchmark {
    /** Bytes per buffer: a small request, and the 16 KiB an epoll read typically fills under load. */
    @Param({"512", "16384"})
    public int bufferBytes;

    /** Buffers per read batch (channelReadComplete, hence flush, once per batch). */
    @Param({"1", "16"})
    public int reads;

    private EmbeddedChannel client;
    private EmbeddedChannel target;
    private final LongAdder clientToTarget = new LongAdder();
    private final LongAdder targetToClient = new LongAdder();

    @Setup
    public void setUp() {
        client = new EmbeddedChannel();
        target = new EmbeddedChannel();
        RelayHandler.join(client, target, "relay", clientToTarget, targetToClient);
    }

    @TearDown
    public void tearDown() {
        client.finishAndReleaseAll();
        target.finishAndReleaseAll();
        if (clientToTarget.sum() == 0) {
            throw new IllegalStateException("nothing was relayed");
        }
    }

    @Benchmark
    public int relayReadBatch() {
        for (int i = 0; i < reads; i++) {
            ByteBuf read = PooledByteBufAllocator.DEFAULT.directBuffer(bufferBytes);
            client.pipeline().fireChannelRead(read.writerIndex(bufferBytes));
        }
        client.pipeline().fireChannelReadComplete();
        int drained = 0;
        for (ByteBuf written; (written = target.readOutbound()) != null; ) {
            drained += written.readableBytes();
            written.release();
        }
        return drained;
    }
}
