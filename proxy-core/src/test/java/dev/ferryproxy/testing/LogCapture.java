package dev.ferryproxy.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import org.awaitility.Awaitility;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * Records what one logger (and every logger below it) logs while it is open, through Logback's
 * {@link ListAppender}. The server logs on its event loops; reads here take the appender's own
 * lock, the one its {@code doAppend} holds, so they see a consistent list. Close it to detach.
 */
public final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    private LogCapture(Logger logger) {
        this.logger = logger;
        appender.setName("log-capture-" + System.identityHashCode(this));
        appender.setContext(logger.getLoggerContext());
        appender.start();
        logger.addAppender(appender);
    }

    /** Starts recording what {@code loggerName} logs, e.g. {@code "dev.ferryproxy"} for the whole server. */
    public static LogCapture of(String loggerName) {
        return new LogCapture((Logger) LoggerFactory.getLogger(loggerName));
    }

    /** The events recorded so far, in order. */
    public List<ILoggingEvent> events() {
        synchronized (appender) {
            return List.copyOf(appender.list);
        }
    }

    /** The formatted messages recorded so far, in order. */
    public List<String> messages() {
        List<String> messages = new ArrayList<>();
        for (ILoggingEvent event : events()) {
            messages.add(event.getFormattedMessage());
        }
        return messages;
    }

    /** Waits up to {@code timeout} for a message that satisfies {@code wanted}, and returns it. */
    public String awaitMessage(String description, Predicate<String> wanted, Duration timeout) {
        Awaitility.await(description).atMost(timeout).pollInterval(Duration.ofMillis(5))
                .until(() -> messages().stream().anyMatch(wanted));
        return messages().stream().filter(wanted).findFirst().orElseThrow();
    }

    /**
     * Everything an event could print, for checks that some text never reaches a log: the
     * formatted message, the raw pattern, each argument, the logger and thread names, and every
     * throwable's class and message, causes and suppressed ones included.
     */
    public static String everythingIn(ILoggingEvent event) {
        StringBuilder text = new StringBuilder()
                .append(event.getLoggerName()).append(' ')
                .append(event.getThreadName()).append(' ')
                .append(event.getMessage()).append(' ')
                .append(event.getFormattedMessage());
        if (event.getArgumentArray() != null) {
            text.append(' ').append(Arrays.deepToString(event.getArgumentArray()));
        }
        appendThrowable(text, event.getThrowableProxy(), 0);
        return text.toString();
    }

    private static void appendThrowable(StringBuilder text, IThrowableProxy throwable, int depth) {
        if (throwable == null || depth > 16) {
            return;
        }
        text.append(' ').append(throwable.getClassName()).append(": ").append(throwable.getMessage());
        appendThrowable(text, throwable.getCause(), depth + 1);
        if (throwable.getSuppressed() != null) {
            for (IThrowableProxy suppressed : throwable.getSuppressed()) {
                appendThrowable(text, suppressed, depth + 1);
            }
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
