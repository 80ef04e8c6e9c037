package dev.ferryproxy.relay;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;

/**
 * Holds what a target channel receives before its relay is in place, and hands it to the relay
 * when removed.
 *
 * <p>The target channel starts with auto-read off, but epoll still reads to the end when the
 * peer hangs up (EPOLLRDHUP), whatever auto-read says. A server that speaks first and closes
 * (a banner, then FIN) could otherwise lose its bytes, or its end of input, in the moment
 * between connect and relay. On removal the held reads, and then the end of input, are fired on
 * to the next handler, which is the relay.
 */
public final class EarlyInboundHolder extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(EarlyInboundHolder.class);

    private ArrayDeque<Object> held;
    private boolean inputShutdown;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (held == null) {
            held = new ArrayDeque<>(4);
        }
        held.add(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // held until the relay exists; replayed with the reads in handlerRemoved
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputShutdown = true;
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // Closed before any relay joined: nobody will ever take what was held.
        if (held != null) {
            Object msg;
            while ((msg = held.poll()) != null) {
                ReferenceCountUtil.release(msg);
            }
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("target {} failed before the relay started: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // Events fired from a removed handler's context go on to the handler that followed it.
        if (held != null && !held.isEmpty()) {
            Object msg;
            while ((msg = held.poll()) != null) {
                ctx.fireChannelRead(msg);
            }
            ctx.fireChannelReadComplete();
        }
        if (inputShutdown) {
            ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
    }
}
