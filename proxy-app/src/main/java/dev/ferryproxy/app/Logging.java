package dev.ferryproxy.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.spi.AppenderAttachable;
import org.slf4j.LoggerFactory;

import java.net.URL;
import java.util.Iterator;

/** Logging set-up that the command line controls. */
final class Logging {
    private Logging() {
    }

    static void setRootLevel(Level level) {
        root().setLevel(level);
    }

    /**
     * Writes the server log in this format from now on. Logback reads logback.xml (text) when the
     * first logger is made; JSON replaces that configuration with logback-json.xml, whose
     * appenders are the same but for the encoder. The root level set before is kept. Events
     * already queued are written before the old appenders stop.
     */
    static void useFormat(LogFormat format) {
        if (format == LogFormat.TEXT) {
            return;
        }
        Level level = root().getLevel();
        LoggerContext context = root().getLoggerContext();
        URL configuration = Logging.class.getClassLoader().getResource(format.configuration());
        if (configuration == null) {
            throw new IllegalStateException(format.configuration() + " is missing from the class path");
        }
        context.reset();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        try {
            configurator.doConfigure(configuration);
        } catch (JoranException e) {
            throw new IllegalStateException(format.configuration() + ": " + e.getMessage(), e);
        }
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
