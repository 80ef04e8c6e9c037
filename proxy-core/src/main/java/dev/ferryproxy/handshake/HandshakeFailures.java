package dev.ferryproxy.handshake;

import dev.ferryproxy.accesslog.TunnelRecord;
import dev.ferryproxy.codec.SocksProtocolException;
import dev.ferryproxy.codec.SocksVersion;
import dev.ferryproxy.codec.UnsupportedAddressTypeException;
import dev.ferryproxy.logging.LogText;
import dev.ferryproxy.metrics.ConnectionMetrics;
import dev.ferryproxy.metrics.HandshakeOutcome;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Ends a connection whose handshake failed: the protocol's error reply where there is one, a debug line, a close. */
final class HandshakeFailures {
    private static final Logger log = LoggerFactory.getLogger(HandshakeFailures.class);

    private HandshakeFailures() {
    }

    static void fail(ChannelHandlerContext ctx, SocksVersion version, Throwable cause) {
        if (cause instanceof SocksProtocolException) {
            SocksProtocolException protocolError = (SocksProtocolException) cause;
            ConnectionMetrics.of(ctx.channel()).handshake(null, cause instanceof UnsupportedAddressTypeException
                    ? HandshakeOutcome.ADDRESS_TYPE_NOT_SUPPORTED : HandshakeOutcome.MALFORMED);
            log.debug("malformed {} handshake from {}: {}", version, ClientAttributes.clientSocketAddress(ctx.channel()),
                    protocolError.getMessage());
            Object reply = protocolError.errorReply();
            if (reply != null && ctx.channel().isActive()) {
                ctx.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
                return;
            }
        } else {
            log.debug("{} handshake from {} failed: {}", version, ClientAttributes.clientSocketAddress(ctx.channel()),
                    LogText.escape(cause.toString()));
        }
        ctx.close();
    }

    /** Sends a reply, then closes once it is written. */
    static void replyAndClose(ChannelHandlerContext ctx, Object reply) {
        TunnelRecord.of(ctx.channel()).replied(reply);
        ctx.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
    }
}
