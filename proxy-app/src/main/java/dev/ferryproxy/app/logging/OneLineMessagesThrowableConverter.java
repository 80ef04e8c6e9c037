package dev.ferryproxy.app.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import dev.ferryproxy.logging.LogText;

/**
 * {@code %oneLineEx}: a stack trace as logback prints it, but with each exception's message kept to
 * its own line ({@link LogText#oneLine}). A stack trace spans lines by design; a message inside it
 * must not add lines of its choosing (a decoder's exception may quote what a client sent).
 */
public final class OneLineMessagesThrowableConverter extends ThrowableProxyConverter {
    @Override
    protected String throwableProxyToString(IThrowableProxy thrown) {
        return super.throwableProxyToString(OneLineMessages.of(thrown));
    }

    /** A view of a thrown exception, its causes and its suppressed ones, with one-line messages. */
    private static final class OneLineMessages implements IThrowableProxy {
        private final IThrowableProxy thrown;

        private OneLineMessages(IThrowableProxy thrown) {
            this.thrown = thrown;
        }

        static IThrowableProxy of(IThrowableProxy thrown) {
            return thrown == null ? null : new OneLineMessages(thrown);
        }

        @Override
        public String getOverridingMessage() {
            return LogText.oneLine(thrown.getOverridingMessage());
        }

        @Override
        public String getMessage() {
            return LogText.oneLine(thrown.getMessage());
        }

        @Override
        public String getClassName() {
            return thrown.getClassName();
        }

        @Override
        public StackTraceElementProxy[] getStackTraceElementProxyArray() {
            return thrown.getStackTraceElementProxyArray();
        }

        @Override
        public int getCommonFrames() {
            return thrown.getCommonFrames();
        }

        @Override
        public IThrowableProxy getCause() {
            // finite: logback's ThrowableProxy already cut any cycle (a cyclic proxy has no cause)
            return of(thrown.getCause());
        }

        @Override
        public IThrowableProxy[] getSuppressed() {
            IThrowableProxy[] suppressed = thrown.getSuppressed();
            if (suppressed == null) {
                return null;
            }
            IThrowableProxy[] wrapped = new IThrowableProxy[suppressed.length];
            for (int i = 0; i < suppressed.length; i++) {
                wrapped[i] = of(suppressed[i]);
            }
            return wrapped;
        }

        @Override
        public boolean isCyclic() {
            return thrown.isCyclic();
        }
    }
}
