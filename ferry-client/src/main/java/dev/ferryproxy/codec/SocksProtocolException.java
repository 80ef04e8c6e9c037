package dev.ferryproxy.codec;

import io.netty.handler.codec.DecoderException;

/**
 * A frame broke the protocol. Carries the reply the protocol defines for the fault, if any,
 * which the handshake handler sends before it closes the connection.
 */
public class SocksProtocolException extends DecoderException {
    private static final long serialVersionUID = 1L;

    private final transient Object errorReply;

    public SocksProtocolException(String message) {
        this(message, null);
    }

    public SocksProtocolException(String message, Object errorReply) {
        super(message);
        this.errorReply = errorReply;
    }

    /** The message to send to the client before closing, or {@code null} when the protocol has none. */
    public Object errorReply() {
        return errorReply;
    }

    // A protocol fault is normal input for a proxy: the message says everything, the stack trace nothing.
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
