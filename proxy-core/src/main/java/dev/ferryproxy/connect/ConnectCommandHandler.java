package dev.ferryproxy.connect;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.command.CommandOutcome;
import dev.ferryproxy.command.CommandReplies;
import dev.ferryproxy.internal.PipelineNames;
import dev.ferryproxy.relay.RelayHandler;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;

/**
 * Serves one CONNECT: dials the target, answers the client, and joins the two channels.
 *
 * <p>The client stops being read while the target is dialled; bytes it already sent behind its
 * request wait in the decoder. The success reply goes out only once the target is connected,
 * carrying the outbound socket's local address. When the reply has been written the handshake
 * handlers leave, the decoder last so its leftover bytes reach the relay, and both sides start
 * reading. On failure the client gets the mapped reply and the connection closes.
 */
public final class ConnectCommandHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectCommandHandler.class);

    private final SocksAddress target;
    private final CommandReplies replies;
    private final TargetConnector connector;
    private Future<Channel> connecting;

    public ConnectCommandHandler(SocksAddress target, CommandReplies replies, TargetConnector connector) {
        this.target = target;
        this.replies = replies;
        this.connector = connector;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.channel().config().setAutoRead(false);
        connecting = connector.connect(target, ctx.channel().eventLoop());
        connecting.addListener(done -> onTargetConnected(ctx));
    }

    private void onTargetConnected(ChannelHandlerContext ctx) {
        if (connecting.isCancelled()) {
            return;
        }
        if (!connecting.isSuccess()) {
            CommandOutcome outcome = ConnectFailures.outcomeOf(connecting.cause());
            log.debug("CONNECT {} for {} failed ({}): {}", target, ctx.channel().remoteAddress(), outcome,
                    connecting.cause().toString());
            ctx.writeAndFlush(replies.failure(outcome)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        Channel outbound = connecting.getNow();
        if (!ctx.channel().isActive()) {
            outbound.close();
            return;
        }
        ctx.writeAndFlush(replies.success((InetSocketAddress) outbound.localAddress())).addListener(written -> {
            if (written.isSuccess()) {
                startRelay(ctx.channel(), outbound);
            } else {
                outbound.close();
                ctx.close();
            }
        });
    }

    private static void startRelay(Channel client, Channel outbound) {
        RelayHandler.join(client, outbound, PipelineNames.RELAY);
        // Both removals hand what was held back (client payload, early target bytes) to the relays.
        PipelineNames.removeHandshakeHandlers(client.pipeline());
        PipelineNames.removeIfPresent(outbound.pipeline(), PipelineNames.EARLY_INBOUND);
        if (!client.isActive() || !outbound.isActive()) {
            // A side hung up while the reply was on its way: its inactive event came before the relay.
            client.close();
            outbound.close();
            return;
        }
        if (((DuplexChannel) client).isInputShutdown()) {
            // The client's EOF came while the target was dialled; the relay must pass it on.
            client.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
        RelayHandler.setReading(client, true);
        RelayHandler.setReading(outbound, true);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // Still in the pipeline, so the relay has not started: abandon or close the target.
        if (connecting != null && !connecting.cancel(false) && connecting.isSuccess()) {
            connecting.getNow().close();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client {} failed while connecting to {}: {}", ctx.channel().remoteAddress(), target, cause.toString());
        ctx.close();
    }
}
