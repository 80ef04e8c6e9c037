package dev.ferryproxy.app;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import dev.ferryproxy.accesslog.AccessLogSink;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The access log's destination ({@code --access-log stdout|off|PATH}, {@code accessLog:}) and the
 * Logback logger {@value #LOGGER} that writes it: its own {@link AsyncAppender} (never blocking:
 * when its queue is full, lines are dropped rather than the event loops kept waiting) in front of
 * standard output or a file, one JSON line per entry ({@link AccessLogJson}), not passed on to
 * the root logger and not silenced by {@code --log-level}.
 */
public final class AccessLog {
    static final String LOGGER = "ferry.access";
    public static final AccessLog STDOUT = new AccessLog(null, false);
    public static final AccessLog OFF = new AccessLog(null, true);

    private final Path file;
    private final boolean off;

    private AccessLog(Path file, boolean off) {
        this.file = file;
        this.off = off;
    }

    public static AccessLog file(Path path) {
        return new AccessLog(Objects.requireNonNull(path, "path"), false);
    }

    /** {@code stdout}, {@code off}, or a file's path. */
    public static AccessLog parse(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("an empty access log destination (expected: stdout, off or a file's path)");
        }
        switch (text) {
            case "stdout":
                return STDOUT;
            case "off":
                return OFF;
            default:
                return file(Path.of(text));
        }
    }

    public boolean isOff() {
        return off;
    }

    /** The file written to; null for standard output or off. */
    public Path path() {
        return file;
    }

    /** Sets up the logger and returns the sink that feeds it; null when off. */
    AccessLogSink start() {
        if (off) {
            return null;
        }
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        encoder.start();
        OutputStreamAppender<ILoggingEvent> out;
        if (file != null) {
            FileAppender<ILoggingEvent> fileAppender = new FileAppender<>();
            fileAppender.setFile(file.toString());
            fileAppender.setAppend(true);
            out = fileAppender;
        } else {
            ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
            console.setTarget("System.out");
            out = console;
        }
        out.setContext(context);
        out.setName("ACCESS-OUT");
        out.setEncoder(encoder);
        out.start();
        if (!out.isStarted()) {
            throw new IllegalStateException("cannot write the access log to " + file);
        }
        AsyncAppender async = new AsyncAppender();
        async.setContext(context);
        async.setName("ACCESS");
        async.setQueueSize(8192);
        async.setDiscardingThreshold(0);
        async.setNeverBlock(true);
        async.addAppender(out);
        async.start();
        Logger logger = context.getLogger(LOGGER);
        logger.setAdditive(false);
        logger.setLevel(Level.INFO);
        logger.addAppender(async);
        return entry -> logger.info(AccessLogJson.render(entry));
    }

    @Override
    public String toString() {
        return off ? "off" : file == null ? "stdout" : file.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AccessLog other && off == other.off && Objects.equals(file, other.file);
    }

    @Override
    public int hashCode() {
        return Objects.hash(file, off);
    }
}
