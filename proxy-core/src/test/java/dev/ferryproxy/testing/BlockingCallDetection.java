package dev.ferryproxy.testing;

import java.util.ArrayList;
import java.util.List;
import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingOperationError;

/**
 * Makes a blocking call on a Netty event loop fail the test. BlockHound instruments the JDK's
 * blocking methods; Netty's own integration (found on the class path) marks its event-loop
 * threads as threads that must not block. A blocking call there is recorded here and also thrown
 * into the event loop, so the connection that made it fails too.
 *
 * <p>Allowed: logging (the tests log to a console appender; the server's own set-up hands events
 * to an asynchronous appender); handing a password check to the authenticator's pool, and
 * Caffeine's maintenance of the login throttle. Both of those take a lock for a few instructions
 * and can only park under contention. Also allowed: the set-up of a TLS connection to the limits
 * store on Lettuce's own I/O threads (see the comment at it).
 */
public final class BlockingCallDetection {
    private static final List<String> VIOLATIONS = new ArrayList<>();
    private static boolean installed;

    private BlockingCallDetection() {
    }

    public static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        BlockHound.install(builder -> builder
                .allowBlockingCallsInside("ch.qos.logback.classic.Logger", "callAppenders")
                .allowBlockingCallsInside("java.util.concurrent.ThreadPoolExecutor", "execute")
                .allowBlockingCallsInside("com.github.benmanes.caffeine.cache.BoundedLocalCache", "performCleanUp")
                // Netty's io_uring loop spins (Thread.onSpinWait) while it closes its ring, once, as the
                // loop shuts down: after its last connection, never while one is served.
                .allowBlockingCallsInside("io.netty.channel.uring.IoUringIoHandler", "destroy")
                // Lettuce (the limits store's client) builds a JDK SSLContext for each rediss://
                // connection as it sets the connection up, on its own I/O threads (event loops to
                // Netty's integration, so they are checked too): SSLContext.init reads /dev/urandom,
                // and the JDK's trust store from disk when no caFile is given. That is Lettuce's
                // loop, once per connect or reconnect, never one of Ferry's relaying loops.
                .allowBlockingCallsInside("io.lettuce.core.SslConnectionBuilder$SslChannelInitializer", "initChannel")
                .blockingMethodCallback(method -> {
                    BlockingOperationError error = new BlockingOperationError(method);
                    record(method + " on " + Thread.currentThread().getName() + "\n" + stackTrace(error));
                    throw error;
                }));
    }

    /** Throws if any event loop made a blocking call since the last check. */
    public static void assertNoBlockingCalls() {
        List<String> seen;
        synchronized (BlockingCallDetection.class) {
            seen = new ArrayList<>(VIOLATIONS);
            VIOLATIONS.clear();
        }
        if (!seen.isEmpty()) {
            throw new AssertionError("blocking call(s) on an event loop:\n" + String.join("\n\n", seen));
        }
    }

    private static synchronized void record(String violation) {
        VIOLATIONS.add(violation);
    }

    private static String stackTrace(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (StackTraceElement frame : t.getStackTrace()) {
            sb.append("\tat ").append(frame).append('\n');
        }
        return sb.toString();
    }
}
