package dev.ferryproxy.app;

import dev.ferryproxy.accesslog.AccessLogEntry;
import dev.ferryproxy.accesslog.AccessLogSink;
import io.netty.util.internal.PlatformDependent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes the access log in batches on a thread of its own. An event loop only puts the entry in a
 * lock-free queue: no rendering, no lock, no wake-up (Logback's AsyncAppender took a lock and
 * signalled its writer for every line, about three futex calls per tunnel, and then made one
 * write per line). Every {@link #FLUSH_INTERVAL} the writer takes what has come, renders it
 * ({@link AccessLogJson}) and writes it with one write call; so a line is out at most that long
 * after its connection ended. When the queue is full the entry is dropped, counted and reported,
 * never waited for.
 */
final class AccessLogWriter implements AccessLogSink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AccessLogWriter.class);
    static final Duration FLUSH_INTERVAL = Duration.ofMillis(20);
    static final int QUEUE_CAPACITY = 65_536;
    /** Render into one buffer up to about this size, then write it and go on. */
    private static final int BATCH_BYTES = 64 * 1024;

    private final Queue<AccessLogEntry> queue = PlatformDependent.newFixedMpscQueue(QUEUE_CAPACITY);
    private final OutputStream out;
    private final boolean closeOut;
    private final String destination;
    private final Thread writer;
    private final LongAdder dropped = new LongAdder();
    private long droppedReported;
    private boolean writeFailed;
    private volatile boolean closing;

    /**
     * Starts the writer thread, which is the only one to write {@code out}.
     *
     * @param closeOut whether to close {@code out} when this writer closes (not standard output)
     * @param destination what {@code out} is, for log lines
     */
    AccessLogWriter(OutputStream out, boolean closeOut, String destination) {
        this.out = out;
        this.closeOut = closeOut;
        this.destination = destination;
        this.writer = new Thread(this::run, "ferry-access-log");
        writer.setDaemon(true);
        writer.start();
    }

    @Override
    public void accept(AccessLogEntry entry) {
        if (closing || !queue.offer(entry)) {
            dropped.increment();
        }
    }

    /** Entries dropped because the queue was full (or the writer closed). */
    long dropped() {
        return dropped.sum();
    }

    /** Writes what is queued and stops the writer; waits at most {@code timeout}. */
    void close(Duration timeout) {
        closing = true;
        LockSupport.unpark(writer);
        try {
            writer.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            log.warn("access log: the writer did not finish within {} ms; {} entries may be lost",
                    timeout.toMillis(), queue.size());
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    private void run() {
        StringBuilder text = new StringBuilder(BATCH_BYTES + 1024);
        byte[] bytes = new byte[0];
        while (true) {
            boolean last = closing;
            AccessLogEntry entry;
            while ((entry = queue.poll()) != null) {
                AccessLogJson.render(entry, text);
                text.append('\n');
                if (text.length() >= BATCH_BYTES) {
                    bytes = write(text, bytes);
                }
            }
            if (text.length() > 0) {
                bytes = write(text, bytes);
            }
            reportDrops();
            if (last) {
                break;
            }
            LockSupport.parkNanos(this, FLUSH_INTERVAL.toNanos());
        }
        if (closeOut) {
            try {
                out.close();
            } catch (IOException e) {
                log.warn("access log: closing {} failed: {}", destination, e.toString());
            }
        }
    }

    /** Writes and empties {@code text}; AccessLogJson writes only ASCII, so a char is a byte. */
    private byte[] write(StringBuilder text, byte[] buffer) {
        int length = text.length();
        byte[] bytes = buffer.length >= length ? buffer : new byte[Math.max(length, BATCH_BYTES + 1024)];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) text.charAt(i);
        }
        text.setLength(0);
        try {
            out.write(bytes, 0, length);
            out.flush();
            writeFailed = false;
        } catch (IOException e) {
            if (!writeFailed) {
                // Once per run of failures: a full disk or a closed pipe would repeat it every batch.
                log.warn("access log: writing to {} failed, lines are lost until it works again: {}", destination,
                        e.toString());
                writeFailed = true;
            }
        }
        return bytes;
    }

    private void reportDrops() {
        long total = dropped.sum();
        if (total > droppedReported) {
            log.warn("access log: {} entries dropped since the last report (its queue of {} was full)",
                    total - droppedReported, QUEUE_CAPACITY);
            droppedReported = total;
        }
    }
}
