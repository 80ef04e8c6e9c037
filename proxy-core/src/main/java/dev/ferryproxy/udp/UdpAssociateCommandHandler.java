package dev.ferryproxy.udp;

import dev.ferryproxy.admission.Admission;
import dev.ferryproxy.policy.Decision;
import dev.ferryproxy.command.CommandContext;
import dev.ferryproxy.command.CommandOutcome;
import dev.ferryproxy.command.CommandReplies;
import dev.ferryproxy.connect.Upstream;
import dev.ferryproxy.internal.PipelineNames;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DatagramChannel;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;

/**
 * Serves one UDP ASSOCIATE: binds a relay socket for this client, answers with the address the
 * client must send its datagrams to, and hands the connection over to the association.
 *
 * <p>Each association has its own relay socket (see docs/udp.md for why not one shared socket),
 * bound on the client's event loop to a port from the configured range. The reply carries the
 * advertised address when one is configured, else the local address of this control connection
 * (the address the client evidently reaches), with the relay's port. When no port is free the
 * client gets 0x01 and the log says which range was full.
 *
 * <p>The association itself is not checked against the rules: its request names where the
 * client will send from, not where datagrams go. Each destination is checked when the client
 * first sends to it. The client is not read while the socket is bound; end of stream or a close
 * in that time abandons the association. Once the reply has been written the handshake handlers
 * leave, {@link UdpControlHandler} watches the connection, and the association starts.
 */
public final class UdpAssociateCommandHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UdpAssociateCommandHandler.class);

    private final CommandContext command;
    private final CommandReplies replies;
    private final UdpAssociateService service;
    private final Map<String, Upstream> upstreams;
    private final Admission admission;
    /** The relay socket being bound, cancelled if the client leaves first. */
    private Future<DatagramChannel> binding;

    /**
     * @param upstreams the upstreams of the policy the handshake began with, by name, for
     *     destinations whose rule routes them through one ({@code via})
     * @param admission the limits on UDP associations, in all and per client
     */
    public UdpAssociateCommandHandler(CommandContext command, CommandReplies replies, UdpAssociateService service,
            Map<String, Upstream> upstreams, Admission admission) {
        this.admission = admission;
        this.command = command;
        this.replies = replies;
        this.service = service;
        this.upstreams = upstreams;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        Channel control = ctx.channel();
        control.config().setAutoRead(false);
        // Before any port is opened: a client the rules refuse everywhere gets 0x02, not a relay.
        Optional<Decision> denied = command.rules().denialForEveryDestination(command.accessRequest());
        if (denied.isPresent()) {
            log.info("{} denied by {}: no destination is allowed to this client", command.describe(),
                    denied.get().reason());
            ctx.writeAndFlush(replies.failure(CommandOutcome.NOT_ALLOWED)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (!admission.admitUdpAssociation(control, command.client())) {
            ctx.writeAndFlush(replies.failure(CommandOutcome.NOT_ALLOWED)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        UdpClientEndpoint client = UdpClientEndpoint.of(command.client(), command.destination());
        Future<DatagramChannel> bound = UdpRelayBinder.bind(service, control.eventLoop(), ctx.alloc(),
                control::isActive);
        binding = bound;
        bound.addListener(done -> onBound(ctx, bound, client));
    }

    private void onBound(ChannelHandlerContext ctx, Future<DatagramChannel> bound, UdpClientEndpoint client) {
        if (bound.isCancelled()) {
            return;
        }
        if (!bound.isSuccess()) {
            log.warn("{} failed: {}", command.describe(), bound.cause().getMessage());
            ctx.writeAndFlush(replies.failure(CommandOutcome.GENERAL_FAILURE)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        DatagramChannel relay = bound.getNow();
        if (!ctx.channel().isActive()) {
            relay.close();
            return;
        }
        InetSocketAddress advertised = new InetSocketAddress(advertisedAddress(ctx.channel()),
                ((InetSocketAddress) relay.localAddress()).getPort());
        ctx.writeAndFlush(replies.success(advertised)).addListener(written -> {
            if (written.isSuccess()) {
                start(ctx.channel(), relay, client, advertised);
            } else {
                relay.close();
                ctx.close();
            }
        });
    }

    /** The configured address, else the address this client reached the server on. */
    private InetAddress advertisedAddress(Channel control) {
        InetAddress configured = service.advertisedAddress();
        return configured != null ? configured
                : UdpAddresses.normalize(((InetSocketAddress) control.localAddress()).getAddress());
    }

    private void start(Channel control, DatagramChannel relay, UdpClientEndpoint client, InetSocketAddress advertised) {
        UdpAssociation association = new UdpAssociation(service, command, control, relay, client, advertised,
                upstreams);
        // The control handler goes in before the decoder leaves, so that bytes the decoder held
        // (sent right behind the request) reach it and are released.
        control.pipeline().addLast(UdpAssociation.CONTROL_HANDLER_NAME, new UdpControlHandler());
        PipelineNames.removeHandshakeHandlers(control.pipeline());
        association.start();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            // The client ended its input before the association began: it cannot be told to end it later.
            log.debug("{}: the client ended its input before the relay was ready", command.describe());
            ctx.close();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // Still in the pipeline, so the association has not started: abandon the socket being bound.
        Future<DatagramChannel> step = binding;
        if (step != null && !step.cancel(false) && step.isSuccess()) {
            step.getNow().close();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client failed during {}: {}", command.describe(), cause.toString());
        ctx.close();
    }
}
