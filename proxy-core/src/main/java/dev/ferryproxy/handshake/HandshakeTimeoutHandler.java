package dev.ferryproxy.handshake;

import dev.ferryproxy.admission.Admission;
import dev.ferryproxy.metrics.ConnectionMetrics;
import dev.ferryproxy.metrics.HandshakeOutcome;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection whose handshake cannot complete: when its deadline passes (a total, not an
 * idle, timeout, so a client that trickles one byte at a time cannot hold a connection open), or
 * when the client's input ends first. The handshake handler removes this handler once it has the
 * client's request; its removal, or the connection's close, ends the handshake for the admission
 * limits too.
 */
public final class HandshakeTimeoutHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(HandshakeTimeoutHandler.class);

    private final long timeoutNanos;
    private final Admission admission;
    private ScheduledFuture<?> deadline;

    public HandshakeTimeoutHandler(Duration timeout, Admission admission) {
        this.timeoutNanos = timeout.toNanos();
        this.admission = admission;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            schedule(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        schedule(ctx);
        ctx.fireChannelActive();
    }

    private void schedule(ChannelHandlerContext ctx) {
        if (deadline == null) {
            deadline = ctx.executor().schedule(() -> expire(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void expire(ChannelHandlerContext ctx) {
        if (ctx.channel().isOpen()) {
            log.debug("handshake from {} not complete after {} ms, closing", ClientAttributes.clientSocketAddress(ctx.channel()),
                    TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
            ConnectionMetrics.of(ctx.channel()).handshake(null, HandshakeOutcome.TIMEOUT);
            ctx.close();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            // Still here, so the request is incomplete, and no more bytes can come to complete it.
            log.debug("client {} ended its output before completing the handshake, closing", ClientAttributes.clientSocketAddress(ctx.channel()));
            ConnectionMetrics.of(ctx.channel()).handshake(null, HandshakeOutcome.MALFORMED);
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
        }
        admission.handshakeDone(ctx.channel());
    }
}
