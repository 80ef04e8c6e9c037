package dev.ferryproxy.app;

import dev.ferryproxy.accesslog.AccessLogEntry;
import dev.ferryproxy.accesslog.EndReason;
import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksVersion;
import dev.ferryproxy.policy.Command;

import java.io.FileOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.LockSupport;

/**
 * Not a test (surefire runs only *Test classes): a measurement of the access log's writer. One
 * producer thread, standing in for the event loops, offers entries at a fixed rate for a bounded
 * time to a writer on a real file; the output says how many were dropped. The highest rate with
 * none dropped is the figure docs/operations.md's "Access log" section gives. Run after {@code mvn package}:
 * <pre>
 * java -cp "proxy-app/target/test-classes:proxy-app/target/ferry.jar" dev.ferryproxy.app.AccessLogWriterRate FILE RATE SECONDS
 * </pre>
 */
public final class AccessLogWriterRate {
    private AccessLogWriterRate() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: AccessLogWriterRate FILE LINES_PER_SECOND SECONDS");
            System.exit(2);
        }
        String file = args[0];
        long rate = Long.parseLong(args[1]);
        long seconds = Math.min(Long.parseLong(args[2]), 60);
        AccessLogEntry entry = new AccessLogEntry(Instant.now(), new InetSocketAddress("127.0.0.1", 1080),
                InetAddress.getLoopbackAddress(), "alice", SocksVersion.SOCKS5, Command.CONNECT,
                SocksAddress.domain("www.example.com", 443), new InetSocketAddress("127.0.0.1", 443), 0, 517, 4096,
                Duration.ofMillis(3), EndReason.CLIENT_CLOSED);
        AccessLogWriter writer = new AccessLogWriter(new FileOutputStream(file, true), true, file);
        long total = rate * seconds;
        long start = System.nanoTime();
        // Offered in slices of 1 ms, as connections end in bursts on a busy loop rather than evenly.
        for (long sent = 0; sent < total; ) {
            long due = Math.min(total, (System.nanoTime() - start) * rate / 1_000_000_000L);
            for (; sent < due; sent++) {
                writer.accept(entry);
            }
            LockSupport.parkNanos(1_000_000);
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        writer.close(Duration.ofSeconds(30));
        System.out.printf("{\"offered\":%d,\"seconds\":%.2f,\"offered_per_second\":%.0f,\"dropped\":%d}%n",
                total, elapsed, total / elapsed, writer.dropped());
    }
}
