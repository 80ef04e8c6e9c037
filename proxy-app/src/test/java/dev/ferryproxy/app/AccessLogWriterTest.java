package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.accesslog.AccessLogEntry;
import dev.ferryproxy.accesslog.EndReason;
import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksVersion;
import dev.ferryproxy.policy.Command;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

@Timeout(30)
class AccessLogWriterTest {
    private static AccessLogEntry entry(int port) {
        return new AccessLogEntry(Instant.parse("2026-01-02T03:04:05.678Z"), new InetSocketAddress("127.0.0.1", 1080),
                InetAddress.getLoopbackAddress(), null, SocksVersion.SOCKS5, Command.CONNECT,
                SocksAddress.domain("example.com", port), null, 0, 1, 2, Duration.ofMillis(3), EndReason.CLIENT_CLOSED);
    }

    /** Collects what is written and counts the write calls. */
    private static class Collecting extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final AtomicInteger writes = new AtomicInteger();
        volatile boolean closed;

        @Override
        public void write(int b) {
            throw new AssertionError("the writer writes arrays, not single bytes");
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            writes.incrementAndGet();
            bytes.write(b, off, len);
        }

        @Override
        public void close() {
            closed = true;
        }

        synchronized List<String> lines() {
            return bytes.toString(StandardCharsets.US_ASCII).lines().toList();
        }
    }

    @Test
    void everyEntryIsOneLineInOrderAndCloseWritesWhatIsQueued() {
        Collecting out = new Collecting();
        AccessLogWriter writer = new AccessLogWriter(out, true, "test");
        for (int port = 1; port <= 5000; port++) {
            writer.accept(entry(port));
        }
        writer.close();
        List<String> lines = out.lines();
        assertThat(lines).hasSize(5000);
        for (int i = 0; i < lines.size(); i++) {
            assertThat(lines.get(i)).isEqualTo(AccessLogJson.render(entry(i + 1)));
        }
        // Batched: 5,000 lines of about 300 bytes in writes of up to 64 KiB, not one write per line.
        assertThat(out.writes.get()).isLessThan(100);
        assertThat(out.closed).isTrue();
        assertThat(writer.dropped()).isZero();
    }

    @Test
    void standardOutputIsNotClosed() {
        Collecting out = new Collecting();
        new AccessLogWriter(out, false, "standard output").close();
        assertThat(out.closed).isFalse();
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfWaiting() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Collecting out = new Collecting() {
            @Override
            public synchronized void write(byte[] b, int off, int len) throws IOException {
                writing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                super.write(b, off, len);
            }
        };
        AccessLogWriter writer = new AccessLogWriter(out, true, "test");
        writer.accept(entry(1));
        assertThat(writing.await(10, TimeUnit.SECONDS)).isTrue();
        // The writer is stuck in its write; the queue takes QUEUE_CAPACITY more, and the rest is dropped.
        int offered = AccessLogWriter.QUEUE_CAPACITY + 100;
        for (int i = 0; i < offered; i++) {
            writer.accept(entry(2));
        }
        assertThat(writer.dropped()).isEqualTo(100);
        release.countDown();
        writer.close(Duration.ofSeconds(20));
        assertThat(out.lines()).hasSize(1 + AccessLogWriter.QUEUE_CAPACITY);
    }

    @Test
    void aFailedWriteLosesThatBatchOnly() {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch firstFailed = new CountDownLatch(1);
        Collecting out = new Collecting() {
            @Override
            public synchronized void write(byte[] b, int off, int len) throws IOException {
                if (calls.incrementAndGet() == 1) {
                    firstFailed.countDown();
                    throw new IOException("No space left on device");
                }
                super.write(b, off, len);
            }
        };
        AccessLogWriter writer = new AccessLogWriter(out, true, "test");
        writer.accept(entry(1));
        try {
            assertThat(firstFailed.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        writer.accept(entry(2));
        writer.close();
        assertThat(out.lines()).containsExactly(AccessLogJson.render(entry(2)));
    }
}
