package dev.ferryproxy.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.AppenderAttachable;
import org.slf4j.LoggerFactory;

import java.util.Iterator;

/** Logging set-up that the command line controls. */
final class Logging {
    private Logging() {
    }

    static void setRootLevel(Level level) {
        root().setLevel(level);
    }

    /**
     * Sends every log line to standard error instead of standard output (logback.xml's target).
     * The client commands call this first: their standard output carries the tunnel's bytes
     * ({@code connect}) or the report ({@code check}), which log lines must never mix into.
     */
    static void toStandardError() {
        retarget(root());
    }

    private static void retarget(AppenderAttachable<ILoggingEvent> attachable) {
        for (Iterator<Appender<ILoggingEvent>> it = attachable.iteratorForAppenders(); it.hasNext(); ) {
            Appender<ILoggingEvent> appender = it.next();
            if (appender instanceof ConsoleAppender) {
                ConsoleAppender<ILoggingEvent> console = (ConsoleAppender<ILoggingEvent>) appender;
                if (!"System.err".equals(console.getTarget())) {
                    console.stop();
                    console.setTarget("System.err");
                    console.start();
                }
            } else if (appender instanceof AppenderAttachable) {
                @SuppressWarnings("unchecked")
                AppenderAttachable<ILoggingEvent> nested = (AppenderAttachable<ILoggingEvent>) appender;
                retarget(nested);
            }
        }
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
