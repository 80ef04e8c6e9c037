package dev.ferryproxy.app;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;

/**
 * The format of the server log on standard output ({@code --log-format}, {@code logFormat}): text
 * lines for people (logback.xml), or one JSON object per line for log pipelines
 * (logback-json.xml, logback's own {@code JsonEncoder}). The access log is not affected: it is
 * always JSON, written by {@link AccessLogWriter}.
 */
public enum LogFormat {
    /** {@code 2026-12-07T09:00:00.000Z INFO  FerryCommand - message}, one line per event (the default). */
    TEXT("logback.xml"),
    /** One JSON object per event and line: timestamp, level, threadName, loggerName, message, throwable. */
    JSON("logback-json.xml");

    private final String configuration;

    LogFormat(String configuration) {
        this.configuration = configuration;
    }

    /** The logback configuration on the class path that writes this format. */
    String configuration() {
        return configuration;
    }

    /** "text" or "json", in any case. */
    public static LogFormat parse(String text) {
        for (LogFormat format : values()) {
            if (format.name().equalsIgnoreCase(text)) {
                return format;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a log format (expected: text or json)");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The values as the command line takes them, for picocli's completion ({@code ferry completion}). */
    static final class Names implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(values()).map(LogFormat::toString).iterator();
        }
    }
}
