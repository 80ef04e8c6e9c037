package dev.ferryproxy.app.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.ferryproxy.logging.LogText;

/**
 * {@code %oneLineMsg}: the event's message with line breaks and other control characters escaped
 * ({@link LogText#oneLine}). Ferry escapes what a client chose where it logs it; this makes sure
 * that no message, Ferry's or a library's, can start a line of its own on standard output, where
 * a forged line could pass for a server event or a JSON access log record.
 */
public final class OneLineMessageConverter extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return LogText.oneLine(event.getFormattedMessage());
    }
}
