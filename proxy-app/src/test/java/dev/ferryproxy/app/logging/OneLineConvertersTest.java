package dev.ferryproxy.app.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

/** The server's log layout (logback.xml): a message, or an exception's message, stays on its line. */
class OneLineConvertersTest {
    private static String layOut(String message, Throwable thrown) {
        LoggerContext context = new LoggerContext();
        PatternLayout layout = new PatternLayout();
        layout.setContext(context);
        layout.getInstanceConverterMap().put("oneLineMsg", OneLineMessageConverter::new);
        layout.getInstanceConverterMap().put("oneLineEx", OneLineMessagesThrowableConverter::new);
        layout.setPattern("%level - %oneLineMsg%n%oneLineEx");
        layout.start();
        LoggingEvent event = new LoggingEvent(OneLineConvertersTest.class.getName(), context.getLogger("test"),
                Level.INFO, message, thrown, null);
        return layout.doLayout(event);
    }

    @Test
    void aMessageWithLineBreaksIsOneLine() {
        assertThat(layOut("refused 'bob'\nINFO - forged\u2028too", null))
                .isEqualTo("INFO - refused 'bob'\\x0aINFO - forged\\u2028too" + System.lineSeparator());
    }

    @Test
    void aStackTraceSpansLinesButNoMessageInItAddsOne() {
        IllegalStateException thrown = new IllegalStateException("bad frame\nINFO - forged",
                new IllegalArgumentException("cause\r\nINFO - forged too"));
        thrown.addSuppressed(new RuntimeException("suppressed\nINFO - forged as well"));
        String text = layOut("failed", thrown);
        assertThat(text).contains("java.lang.IllegalStateException: bad frame\\x0aINFO - forged")
                .contains("Caused by: java.lang.IllegalArgumentException: cause\\x0d\\x0aINFO - forged too")
                .contains("suppressed\\x0aINFO - forged as well")
                .contains("\tat dev.ferryproxy.app.logging.OneLineConvertersTest");
        assertThat(text.lines()).noneMatch(line -> line.startsWith("INFO - forged"));
    }
}
