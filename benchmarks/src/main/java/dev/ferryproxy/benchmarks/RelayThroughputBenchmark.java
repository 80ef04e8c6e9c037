package dev.ferryproxy.benchmarks;

import dev.ferryproxy.server.ProxyServer;
import dev.ferryproxy.server.ProxyServerConfig;
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

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * One stream's upload throughput on loopback, through Ferry's CONNECT relay and, in the same run,
 * straight to the target, so the two can be compared as a ratio. One operation writes 1 MiB;
 * read the score (ops/s) as MiB/s.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar RelayThroughput</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Dio.netty.leakDetection.level=disabled"})
public class RelayThroughputBenchmark {
    private static final int CHUNK_BYTES = 1024 * 1024;

    /** {@code direct}: client to target; {@code ferry}: client to Ferry to target. */
    @Param({"direct", "ferry"})
    public String path;

    private DiscardServer target;
    private ProxyServer proxy;
    private SocketChannel client;
    private ByteBuffer chunk;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        target = new DiscardServer();
        chunk = ByteBuffer.allocateDirect(CHUNK_BYTES);
        if (path.equals("direct")) {
            client = SocketChannel.open(target.address());
            return;
        }
        proxy = ProxyServer.start(ProxyServerConfig.builder()
                .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .build());
        client = SocketChannel.open(proxy.address());
        Socks5Handshake.connect(client, target.address());
    }

    @Benchmark
    public int uploadOneMebibyte() throws IOException {
        chunk.clear();
        int written = 0;
        while (chunk.hasRemaining()) {
            written += client.write(chunk);
        }
        return written;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        client.close();
        if (proxy != null) {
            proxy.close();
        }
        target.close();
    }
}
