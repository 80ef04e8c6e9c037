package dev.ferryproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.transport.TransportKind;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import dev.ferryproxy.testing.SeededBytes.Digest;
import dev.ferryproxy.testing.SocksRequests;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A client that does not read while its target sends as fast as it can: the proxy must stop
 * reading from the target (backpressure) instead of buffering. The target offers up to 1 GiB
 * from a non-blocking socket and notes when the proxy has taken nothing for a while (stalled):
 * what it handed off by then must be small (the sockets' kernel buffers and the proxy's water
 * marks), and the proxy's direct memory must not have grown by more than a few MiB. Then the client
 * reads, the target sends 16 MiB more and ends, and the client must receive every byte the target
 * wrote, intact: the flow resumed.
 */
@Timeout(120)
class BackpressureEndToEndTest {
    private static final Logger log = LoggerFactory.getLogger(BackpressureEndToEndTest.class);

    private static final long OFFERED = 1L << 30;
    private static final long MIB = 1024 * 1024;
    /** No byte taken for this long counts as stalled: the proxy stopped reading. */
    private static final Duration STALL = Duration.ofMillis(500);
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final int SOCKET_BUFFER = 64 * 1024;
    private static final long AFTER_RESUME = 16 * MIB;

    /** What the target may have handed off before stalling: kernel buffers on four sockets, water marks, slack. */
    private static final long MAX_HANDED_OFF = 64 * MIB;
    /** How much the proxy's direct memory may grow while the client does not read. */
    private static final long MAX_MEMORY_GROWTH = 16 * MIB;
    /** The most direct memory the proxy may hold then, whatever earlier tests in this JVM left pooled. */
    private static final long MAX_MEMORY = 64 * MIB;

    private static DnsStub dns;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of());
    }

    @AfterAll
    static void stop() {
        if (dns != null) {
            dns.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TransportKind.class, names = {"AUTO", "EPOLL", "IO_URING"})
    void proxyStopsReadingFromTargetWhileClientDoesNotReadThenResumes(TransportKind transport) throws Exception {
        Transports.assumeAvailable(transport);
        try (RunningProxy proxy = RunningProxy.start(dns.address(), b -> b.transport(transport));
                ServerSocketChannel listener = ServerSocketChannel.open();
                Selector selector = Selector.open();
                Socket clientSocket = new Socket()) {
            listener.bind(new InetSocketAddress(Loopback.IPV4, 0));
            clientSocket.setReceiveBufferSize(SOCKET_BUFFER);
            clientSocket.connect(proxy.address(), 5_000);
            clientSocket.setSoTimeout(Math.toIntExact(DEADLINE.toMillis()));
            RawSocksClient client = RawSocksClient.over(clientSocket);
            InetSocketAddress targetAddress = (InetSocketAddress) listener.getLocalAddress();
            assertThat(client.socks5Connect(SocksRequests.socks5Connect(targetAddress)).rep()).isZero();

            try (SocketChannel upstream = accept(listener, selector)) {
                upstream.configureBlocking(false);
                upstream.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
                FloodingWriter writer = new FloodingWriter(upstream, selector);
                long baseline = serverDirectMemory();

                boolean stalled = writer.writeUntilStalled(OFFERED, deadline());

                long handedOff = writer.written();
                long growth = writer.peakMemory() - baseline;
                log.info("{}: target handed off {} of {} bytes before stalling; server direct memory {} -> peak {}",
                        proxy.server().transport(), handedOff, OFFERED, baseline, writer.peakMemory());
                assertThat(stalled).as("the target stalled (the proxy stopped reading) before handing off %d bytes",
                        handedOff).isTrue();
                assertThat(handedOff).as("bytes the target handed off while the client did not read")
                        .isLessThan(MAX_HANDED_OFF);
                assertThat(growth).as("growth of the server's direct memory while the client did not read")
                        .isLessThan(MAX_MEMORY_GROWTH);
                assertThat(writer.peakMemory()).as("the server's direct memory while the client did not read")
                        .isLessThan(MAX_MEMORY);

                CompletableFuture<Digest> received = Background.call("client-reader",
                        () -> SeededBytes.readAndDigest(clientSocket.getInputStream()));
                writer.writeMore(AFTER_RESUME, deadline());
                upstream.shutdownOutput();

                Digest got = received.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
                assertThat(got.count()).as("bytes the client received").isEqualTo(writer.written());
                assertThat(got.sha256()).isEqualTo(writer.sha256());
            }
        }
    }

    private static long deadline() {
        return System.nanoTime() + DEADLINE.toNanos();
    }

    private static SocketChannel accept(ServerSocketChannel listener, Selector selector) throws IOException {
        listener.configureBlocking(false);
        SelectionKey key = listener.register(selector, SelectionKey.OP_ACCEPT);
        try {
            if (selector.select(5_000) == 0) {
                throw new AssertionError("the proxy did not connect to the target");
            }
            return listener.accept();
        } finally {
            key.cancel();
            selector.selectNow();
        }
    }

    /**
     * Direct memory held by the server's allocator ({@code PooledByteBufAllocator.DEFAULT}, which
     * ProxyServer and TargetConnector configure), plus Netty's default allocator in case a channel
     * ever goes without: buffers the proxy holds must show up here whichever side read them.
     */
    private static long serverDirectMemory() {
        long used = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider
                && ByteBufAllocator.DEFAULT != PooledByteBufAllocator.DEFAULT) {
            used += ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric().usedDirectMemory();
        }
        return used;
    }

    /**
     * Writes seeded bytes to a non-blocking socket as fast as the peer takes them, hashing what
     * was written, and samples the server's direct memory as it goes.
     */
    private static final class FloodingWriter {
        private final SocketChannel channel;
        private final Selector selector;
        private final ByteBuffer block = ByteBuffer.wrap(SeededBytes.generate(7, Math.toIntExact(MIB)));
        private final MessageDigest digest = SeededBytes.sha256();
        private long written;
        private long peakMemory;
        private long nextSample;

        FloodingWriter(SocketChannel channel, Selector selector) {
            this.channel = channel;
            this.selector = selector;
        }

        /**
         * Writes until {@code limit} bytes are written (false) or no byte could be written for
         * {@link #STALL} (true).
         */
        boolean writeUntilStalled(long limit, long deadlineNanos) throws IOException {
            SelectionKey key = channel.register(selector, SelectionKey.OP_WRITE);
            try {
                while (written < limit) {
                    checkDeadline(deadlineNanos);
                    if (writeOnce(limit - written) == 0 && selector.select(STALL.toMillis()) == 0) {
                        sampleMemory();
                        return true;
                    }
                    selector.selectedKeys().clear();
                }
                return false;
            } finally {
                key.cancel();
                selector.selectNow();
            }
        }

        /** Writes exactly {@code count} more bytes, waiting for the peer as needed. */
        void writeMore(long count, long deadlineNanos) throws IOException {
            SelectionKey key = channel.register(selector, SelectionKey.OP_WRITE);
            try {
                long target = written + count;
                while (written < target) {
                    checkDeadline(deadlineNanos);
                    if (writeOnce(target - written) == 0) {
                        selector.select(100);
                        selector.selectedKeys().clear();
                    }
                }
            } finally {
                key.cancel();
                selector.selectNow();
            }
        }

        private int writeOnce(long max) throws IOException {
            int offset = (int) (written % block.capacity());
            ByteBuffer slice = block.duplicate();
            slice.position(offset).limit((int) Math.min(block.capacity(), offset + max));
            int n = channel.write(slice);
            if (n > 0) {
                SeededBytes.update(digest, slice, offset);
                written += n;
                if (written >= nextSample) {
                    sampleMemory();
                    nextSample = written + MIB;
                }
            }
            return n;
        }

        private void sampleMemory() {
            peakMemory = Math.max(peakMemory, serverDirectMemory());
        }

        private void checkDeadline(long deadlineNanos) {
            if (System.nanoTime() > deadlineNanos) {
                throw new AssertionError("target still writing after " + DEADLINE + " (" + written + " bytes written)");
            }
        }

        long written() {
            return written;
        }

        long peakMemory() {
            return peakMemory;
        }

        String sha256() {
            return SeededBytes.hex(digest);
        }
    }
}
