package dev.ferryproxy.benchmarks;

import dev.ferryproxy.relay.RelayMode;
import dev.ferryproxy.server.ProxyServer;
import dev.ferryproxy.server.ProxyServerConfig;
import dev.ferryproxy.transport.TransportKind;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * Stream throughput on loopback through Ferry's CONNECT relay (buffers or kernel splice, on
 * epoll) and, in the same run, straight to the target, so that each can be read as a ratio to
 * direct. One operation moves 1 MiB up (client to target) or down; read the score (ops/s) as
 * MiB/s. Each JMH thread has its own stream: {@code -t 8} measures 8 streams at once.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar RelayThroughput -t 1 -p path=direct,buffer,splice</pre>
 *
 * <p>{@code tuning} (buffer relay only) sets the server's socket tuning for the trial: see
 * {@link Tuning}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Dio.netty.leakDetection.level=disabled"})
public class RelayThroughputBenchmark {
    private static final int CHUNK_BYTES = 1024 * 1024;

    /** {@code direct}: client to target; {@code buffer}, {@code splice}: through Ferry with that relay. */
    @Param({"direct", "buffer", "splice"})
    public String path;

    /** {@code up}: the client writes; {@code down}: the client reads. */
    @Param({"up", "down"})
    public String direction;

    /** The server's socket tuning: {@code default}, or one of {@link Tuning}'s names. */
    @Param({"default"})
    public String tuning;

    private DiscardServer discard;
    private SourceServer source;
    private ProxyServer proxy;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        discard = new DiscardServer();
        source = new SourceServer();
        if (path.equals("direct")) {
            return;
        }
        ProxyServerConfig.Builder config = ProxyServerConfig.builder()
                .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .transport(TransportKind.EPOLL)
                .relay(RelayMode.valueOf(path.toUpperCase(java.util.Locale.ROOT)));
        proxy = ProxyServer.start(Tuning.apply(tuning, config).build());
    }

    InetSocketAddress target() throws IOException {
        return direction.equals("up") ? discard.address() : source.address();
    }

    /** One stream per benchmark thread. */
    @State(Scope.Thread)
    public static class Stream {
        SocketChannel channel;
        ByteBuffer chunk;
        boolean up;

        @Setup(Level.Trial)
        public void open(RelayThroughputBenchmark bench) throws IOException {
            up = bench.direction.equals("up");
            chunk = ByteBuffer.allocateDirect(CHUNK_BYTES);
            if (bench.proxy == null) {
                channel = SocketChannel.open(bench.target());
            } else {
                channel = SocketChannel.open(bench.proxy.address());
                Socks5Handshake.connect(channel, bench.target());
            }
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            channel.close();
        }
    }

    @Benchmark
    public int moveOneMebibyte(Stream stream) throws IOException {
        ByteBuffer chunk = stream.chunk;
        chunk.clear();
        int moved = 0;
        if (!stream.up) {
            SourceServer.request(stream.channel, CHUNK_BYTES);
        }
        while (chunk.hasRemaining()) {
            int n = stream.up ? stream.channel.write(chunk) : stream.channel.read(chunk);
            if (n < 0) {
                throw new EOFException("the stream ended");
            }
            moved += n;
        }
        return moved;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
        discard.close();
        source.close();
    }
}
