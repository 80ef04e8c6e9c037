package dev.ferryproxy.udp;

import dev.ferryproxy.accesslog.TunnelRecord;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches an association's control connection. RFC 1928 defines nothing more on it after the
 * reply; it only bounds the association's life. The connection keeps being read so that its
 * end is noticed at once: end of stream or an error closes it, and the association ends with it.
 *
 * <p>Bytes the client sends on it are read and released unseen, rather than taken as a reason to
 * close: some clients send keep-alive bytes, and closing on them would end an association for
 * nothing. They cost the server nothing but the read.
 *
 * <p>The access log learns why it ended: the client's end of stream ({@code client_closed}) or an
 * error ({@code error}); the idle timeout and a drain say so themselves before they close it.
 */
final class UdpControlHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UdpControlHandler.class);

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            TunnelRecord.of(ctx.channel()).inputEnded(ctx.channel());
            ctx.close();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("UDP association control connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        TunnelRecord.of(ctx.channel()).failed(ctx.channel(), cause);
        ctx.close();
    }
}
