package dev.ferryproxy.handshake;

import dev.ferryproxy.codec.SocksVersion;
import dev.ferryproxy.codec.v4.Socks4CommandRequest;
import dev.ferryproxy.codec.v4.Socks4CommandResponse;
import dev.ferryproxy.codec.v4.Socks4CommandType;
import dev.ferryproxy.command.Socks4CommandReplies;
import dev.ferryproxy.connect.ConnectCommandHandler;
import dev.ferryproxy.internal.PipelineNames;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The SOCKS4/4a handshake of one connection: one request, then hand-off to the command's handler. */
public final class Socks4HandshakeHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Socks4HandshakeHandler.class);

    private final ProxyServices services;

    public Socks4HandshakeHandler(ProxyServices services) {
        this.services = services;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Socks4CommandRequest)) {
            ReferenceCountUtil.release(msg);
            throw new IllegalStateException("unexpected message in a SOCKS4 handshake: " + msg.getClass().getName());
        }
        Socks4CommandRequest request = (Socks4CommandRequest) msg;
        PipelineNames.removeIfPresent(ctx.pipeline(), PipelineNames.HANDSHAKE_TIMEOUT);
        if (request.type() == Socks4CommandType.CONNECT) {
            ctx.pipeline().replace(this, PipelineNames.COMMAND,
                    new ConnectCommandHandler(request.dst(), Socks4CommandReplies.INSTANCE, services.connector()));
            return;
        }
        log.debug("SOCKS4 client {} asked for {}, which is not enabled", ctx.channel().remoteAddress(), request.type());
        HandshakeFailures.replyAndClose(ctx, Socks4CommandResponse.rejected());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        HandshakeFailures.fail(ctx, SocksVersion.SOCKS4, cause);
    }
}
