package dev.ferryproxy.connect;

import dev.ferryproxy.client.SocksTarget;
import dev.ferryproxy.command.CommandContext;
import dev.ferryproxy.command.CommandOutcome;
import dev.ferryproxy.command.CommandReplies;
import dev.ferryproxy.limits.Limiter;
import dev.ferryproxy.limits.TunnelLimits;
import dev.ferryproxy.logging.LogText;
import dev.ferryproxy.metrics.ConnectionMetrics;
import dev.ferryproxy.policy.AccessRequest;
import dev.ferryproxy.policy.Decision;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Serves one CONNECT: checks the rules, dials the target, answers the client, and joins the two
 * channels.
 *
 * <p>Rules are checked on the address actually dialled. A request by address is decided at
 * once. For a request by name, a rule that decides on what is known before resolving (client,
 * user, name, port) settles it then. Otherwise the name is resolved, every address is checked,
 * and only the allowed ones are dialled. There is no window in which a name could re-resolve
 * to something else. A denial is answered 0x02 (SOCKS4: 91) and logged with the rule that
 * decided.
 *
 * <p>The client's reading stays on while the target is dialled: bytes it sends behind its
 * request wait in the decoder, which stops reading once it holds
 * {@link dev.ferryproxy.codec.SocksFrameDecoder#HELD_BYTES_LIMIT} (turning reading off and on
 * around every dial cost two epoll_ctl calls per tunnel). The success reply goes out only once
 * the target is connected, and carries the outbound socket's local address. When the reply has
 * been written, the handshake handlers leave (the decoder last, so its leftover bytes reach the
 * relay) and both sides read. On failure the client gets the mapped reply and the connection closes.
 *
 * <p><b>Upstreams.</b> When the rule that allows names an upstream ({@code via}), the target is
 * reached through that chain of parent proxies instead ({@link UpstreamConnector}). A request by
 * name that a rule settles before resolving goes to the parent by name (a socks5h or socks4a
 * parent resolves it). A name that had to be resolved here goes to the parent as the first
 * allowed address, so the parent cannot reach anything the rules did not check. When a name's
 * addresses are decided by different rules, the route of the first allowed address is taken,
 * with only the addresses that share it.
 *
 * <p><b>Limits.</b> Once the rules allow, the tunnel must also fit its user's and its client
 * network's limits ({@link TunnelAdmission}) before anything is dialled; refused, it is answered
 * 0x02 (SOCKS4: 91). Its relay then charges its bytes to those limits.
 */
public final class ConnectCommandHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectCommandHandler.class);

    private final CommandContext command;
    private final CommandReplies replies;
    private final TargetConnector connector;
    private final UpstreamConnector upstreamConnector;
    /** The upstreams by name, from the policy the handshake began with. */
    private final Map<String, Upstream> upstreams;
    private final Limiter limiter;
    /** The tunnel's share of the limits, once admitted. */
    private TunnelLimits limits = TunnelLimits.NONE;
    /** The step under way (resolving, then connecting), cancelled if the client leaves. */
    private Future<?> pending;

    public ConnectCommandHandler(CommandContext command, CommandReplies replies, TargetConnector connector,
            UpstreamConnector upstreamConnector, Map<String, Upstream> upstreams, Limiter limiter) {
        this.limiter = limiter;
        this.command = command;
        this.replies = replies;
        this.connector = connector;
        this.upstreamConnector = upstreamConnector;
        this.upstreams = upstreams;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        AccessRequest request = command.accessRequest();
        Optional<InetAddress> literal = command.literalAddress();
        if (literal.isPresent()) {
            Decision decision = command.rules().evaluate(request);
            if (decision.allowed()) {
                dial(ctx, decision, List.of(literal.get()));
            } else {
                deny(ctx, decision);
            }
            return;
        }
        Optional<Decision> early = command.rules().evaluateBeforeResolution(request);
        if (early.isPresent() && !early.get().allowed()) {
            deny(ctx, early.get());
            return;
        }
        if (early.isPresent() && upstreamOf(early.get()) != null) {
            // The parent resolves the name (or the hop's scheme resolves it here): no rule needs the address.
            dialVia(ctx, upstreamOf(early.get()), SocksTarget.of(command.destination().host(),
                    command.destination().port()));
            return;
        }
        long resolveStart = System.nanoTime();
        Future<List<InetAddress>> resolving = connector.resolve(command.destination().host(), ctx.channel().eventLoop());
        pending = resolving;
        resolving.addListener(done -> {
            if (resolving.isCancelled()) {
                return;
            }
            ConnectionMetrics.of(ctx.channel()).nameResolved(resolveStart, resolving.isSuccess());
            if (!ctx.channel().isActive()) {
                return;
            }
            if (!resolving.isSuccess()) {
                fail(ctx, resolving.cause());
            } else if (early.isPresent()) {
                dial(ctx, early.get(), resolving.getNow());
            } else {
                dialAllowed(ctx, request, resolving.getNow());
            }
        });
    }

    /**
     * Dials the addresses the rules allow, along the route of the first of them (only the
     * addresses that share it); denies when the rules allow none.
     */
    private void dialAllowed(ChannelHandlerContext ctx, AccessRequest request, List<InetAddress> resolved) {
        List<InetAddress> allowed = new ArrayList<>(resolved.size());
        Decision firstAllowed = null;
        Decision firstDenial = null;
        for (InetAddress address : resolved) {
            Decision decision = command.rules().evaluate(request.withDestinationAddress(address));
            if (!decision.allowed()) {
                firstDenial = firstDenial == null ? decision : firstDenial;
            } else if (firstAllowed == null || upstreamOf(decision) == upstreamOf(firstAllowed)) {
                firstAllowed = firstAllowed == null ? decision : firstAllowed;
                allowed.add(address);
            }
        }
        if (allowed.isEmpty()) {
            deny(ctx, firstDenial);
        } else {
            dial(ctx, firstAllowed, allowed);
        }
    }

    /** Dials the allowed addresses directly, or the first of them through the decision's upstream. */
    private void dial(ChannelHandlerContext ctx, Decision decision, List<InetAddress> addresses) {
        pending = TunnelAdmission.admit(ctx, limiter, command, replies, admitted -> {
            limits = admitted;
            dialAdmitted(ctx, decision, addresses);
        });
    }

    private void dialAdmitted(ChannelHandlerContext ctx, Decision decision, List<InetAddress> addresses) {
        Upstream upstream = upstreamOf(decision);
        if (upstream != null) {
            dialViaAdmitted(ctx, upstream, SocksTarget.of(new InetSocketAddress(addresses.get(0),
                    command.destination().port())));
            return;
        }
        long connectStart = System.nanoTime();
        Future<Channel> connecting = connector.connect(addresses, command.destination().port(), ctx.channel().eventLoop());
        pending = connecting;
        connecting.addListener(done -> onTargetConnected(ctx, connecting, connectStart));
    }

    private void dialVia(ChannelHandlerContext ctx, Upstream upstream, SocksTarget target) {
        pending = TunnelAdmission.admit(ctx, limiter, command, replies, admitted -> {
            limits = admitted;
            dialViaAdmitted(ctx, upstream, target);
        });
    }

    private void dialViaAdmitted(ChannelHandlerContext ctx, Upstream upstream, SocksTarget target) {
        // describe() builds a String: only when the line is logged.
        if (log.isDebugEnabled()) {
            log.debug("{} goes through upstream {}", command.describe(), upstream);
        }
        long connectStart = System.nanoTime();
        Future<Channel> connecting = upstreamConnector.connect(upstream, target, ctx.channel().eventLoop());
        pending = connecting;
        connecting.addListener(done -> onTargetConnected(ctx, connecting, connectStart));
    }

    /** The upstream the deciding rule routes through, or {@code null} to go directly. */
    private Upstream upstreamOf(Decision decision) {
        String via = decision.rule() == null ? null : decision.rule().via();
        return via == null ? null : upstreams.get(via);
    }

    private void onTargetConnected(ChannelHandlerContext ctx, Future<Channel> connecting, long connectStart) {
        if (connecting.isCancelled()) {
            return;
        }
        ConnectionMetrics.of(ctx.channel()).targetConnected(connectStart, connecting.isSuccess());
        if (!connecting.isSuccess()) {
            fail(ctx, connecting.cause());
            return;
        }
        Channel outbound = connecting.getNow();
        if (!ctx.channel().isActive()) {
            outbound.close();
            return;
        }
        ctx.writeAndFlush(replies.success((InetSocketAddress) outbound.localAddress())).addListener(written -> {
            if (written.isSuccess()) {
                TunnelStart.afterSuccessReply(ctx.channel(), outbound, connector.relay(), limits);
            } else {
                outbound.close();
                ctx.close();
            }
        });
    }

    private void fail(ChannelHandlerContext ctx, Throwable cause) {
        CommandOutcome outcome = ConnectFailures.outcomeOf(cause);
        if (cause instanceof UpstreamFailedException) {
            // The operator's parent proxy is down or misconfigured: worth more than a debug line.
            log.warn("{} failed ({}): {}", command.describe(), outcome, LogText.escape(cause.getMessage()));
            ctx.writeAndFlush(replies.failure(outcome)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (log.isDebugEnabled()) {
            // the cause may quote the name the client asked for (a resolver's "no such name")
            log.debug("{} failed ({}): {}", command.describe(), outcome, LogText.escape(cause.toString()));
        }
        ctx.writeAndFlush(replies.failure(outcome)).addListener(ChannelFutureListener.CLOSE);
    }

    private void deny(ChannelHandlerContext ctx, Decision decision) {
        log.info("{} denied by {}", command.describe(), decision.reason());
        ctx.writeAndFlush(replies.failure(CommandOutcome.NOT_ALLOWED)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // Still in the pipeline, so the relay has not started: abandon the step under way, or
        // close a target that connected but was never relayed.
        Future<?> step = pending;
        if (step != null && !step.cancel(false) && step.isSuccess() && step.getNow() instanceof Channel) {
            ((Channel) step.getNow()).close();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (log.isDebugEnabled()) {
            log.debug("client failed during {}: {}", command.describe(), cause.toString());
        }
        ctx.close();
    }
}
