package dev.ferryproxy.benchmarks.handshake;

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

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * One whole SOCKS5 connection against an in-process {@link ProxyServer}: connect, greeting,
 * CONNECT to a loopback target, the success reply, close. This is the per-connection path from
 * accept to relay start (initializers, version detection, decoders, handshake handler, rules,
 * target connect, reply, relay set-up) and its tear-down.
 *
 * <p>{@code gc.alloc.rate.norm} under {@code -prof gc} counts every thread of the JVM: the proxy's
 * event loops, the blocking client and the small Netty target ({@link HoldingTarget}). The client
 * and target share are constant, so changes in the proxy show as changes in it.
 *
 * <p>{@code pipelined}: greeting and request in one write (no wait for the method selection), as
 * an optimistic client does; {@code stepwise}: two round trips, as most clients do.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar handshake.HandshakeBenchmark -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m", "-Dio.netty.leakDetection.level=disabled"})
public class HandshakeBenchmark {
    @Param({"pipelined", "stepwise"})
    public String client;

    private HoldingTarget target;
    private ProxyServer proxy;
    private InetSocketAddress proxyAddress;
    private final ByteBuffer greeting = ByteBuffer.wrap(new byte[] {5, 1, 0});
    private ByteBuffer request;
    private final ByteBuffer methodReply = ByteBuffer.allocate(2);
    private final ByteBuffer commandReply = ByteBuffer.allocate(10);
    private final ByteBuffer both = ByteBuffer.allocate(3 + 10);

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        // Without a logback.xml Logback logs everything at DEBUG; measure what a server at INFO does.
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.INFO);
        target = new HoldingTarget();
        proxy = ProxyServer.start(ProxyServerConfig.builder()
                .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .build());
        proxyAddress = (InetSocketAddress) proxy.address();
        request = ByteBuffer.allocate(10).put(new byte[] {5, 1, 0, 1})
                .put(target.address().getAddress().getAddress())
                .putShort((short) target.address().getPort())
                .flip();
        both.put(greeting.duplicate()).put(request.duplicate()).flip();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        proxy.close();
        target.close();
    }

    @Benchmark
    public int connectHandshakeClose() throws IOException {
        try (SocketChannel socket = SocketChannel.open()) {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            socket.connect(proxyAddress);
            boolean pipelined = client.equals("pipelined");
            writeFully(socket, pipelined ? both.rewind() : greeting.rewind());
            readFully(socket, methodReply.clear());
            if (!pipelined) {
                writeFully(socket, request.rewind());
            }
            readFully(socket, commandReply.clear());
            if (commandReply.get(1) != 0) {
                throw new IOException("proxy refused the CONNECT: reply " + commandReply.get(1));
            }
            return commandReply.get(1);
        }
    }

    private static void writeFully(SocketChannel socket, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            socket.write(bytes);
        }
    }

    private static void readFully(SocketChannel socket, ByteBuffer into) throws IOException {
        while (into.hasRemaining()) {
            if (socket.read(into) < 0) {
                throw new IOException("proxy closed during the handshake");
            }
        }
    }
}
