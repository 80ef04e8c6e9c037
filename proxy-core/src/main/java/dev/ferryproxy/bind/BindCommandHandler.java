package dev.ferryproxy.bind;

import dev.ferryproxy.command.CommandContext;
import dev.ferryproxy.command.CommandOutcome;
import dev.ferryproxy.command.CommandReplies;
import dev.ferryproxy.connect.TunnelAdmission;
import dev.ferryproxy.connect.TunnelStart;
import dev.ferryproxy.limits.Limiter;
import dev.ferryproxy.limits.TunnelLimits;
import dev.ferryproxy.policy.AccessRequest;
import dev.ferryproxy.policy.Decision;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Serves one BIND (SOCKS4 and SOCKS5): checks the rules, listens for one incoming connection,
 * answers twice, and joins the client to the peer that connected.
 *
 * <p>The request names the peer the client expects (see {@link ExpectedPeer}). A request by
 * address, or by a numeric spelling of one, is decided at once. A name (SOCKS4a, SOCKS5 domain)
 * is decided before resolving when a rule that needs no address settles it; otherwise it is
 * resolved without blocking, every address is checked, and the allowed ones are the peers that
 * may connect. A name that does not resolve is answered 0x04 (SOCKS4: 91). A denial is answered
 * 0x02 (91) and logged with the rule that decided. A request for any peer (0.0.0.0 or ::) is
 * checked again when a peer arrives, with that peer's address as the destination, so the rules
 * keep the last word on who gets in. The request's port is not checked: RFC 1928 and SOCKS4 make
 * DST.PORT informational for BIND, since the peer's source port is its own system's choice.
 *
 * <p>The listener binds to the local address of the client's own connection, the one address
 * the client is known to reach, never to the wildcard. The first reply carries that address, or
 * the server's advertised address (for NAT and containers), and the listener's port. The
 * listener takes exactly one connection and then closes, so later connections are refused by
 * the system; one racing in with it is closed. The second reply names the peer, and the relay
 * starts exactly as for CONNECT. A peer that is not the expected one is closed unrelayed, and
 * the client gets 0x02 (91) and a close.
 *
 * <p>No peer within the accept timeout is answered 0x06, TTL expired (SOCKS4: 91): of the codes
 * RFC 1928 offers it is the one that says time ran out, where 0x01 would hide the cause and 0x04
 * would blame a host the server never tried to reach. When the client leaves first, the
 * listener and any peer not yet relayed are closed with it.
 */
public final class BindCommandHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(BindCommandHandler.class);

    private final CommandContext command;
    private final CommandReplies replies;
    private final BindService service;
    private ChannelHandlerContext ctx;
    /** The step under way (resolving the expected peer, then opening the listener), cancelled if the client leaves. */
    private Future<?> pending;
    private ExpectedPeer expected;
    private Channel listener;
    private Future<?> acceptTimer;
    private final Limiter limiter;
    /** The tunnel's share of the limits, once admitted. */
    private TunnelLimits limits = TunnelLimits.NONE;
    /** The peer accepted and waiting for its relay. */
    private Channel peer;
    /** Whether the one connection has come, or the BIND ended without it: every later arrival is closed. */
    private boolean settled;

    public BindCommandHandler(CommandContext command, CommandReplies replies, BindService service, Limiter limiter) {
        this.limiter = limiter;
        this.command = command;
        this.replies = replies;
        this.service = service;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        ctx.channel().config().setAutoRead(false);
        AccessRequest request = command.accessRequest();
        Optional<InetAddress> literal = command.literalAddress();
        if (literal.isPresent()) {
            Decision decision = command.rules().evaluate(request);
            if (decision.allowed()) {
                listen(ExpectedPeer.at(literal.get()));
            } else {
                deny(decision);
            }
            return;
        }
        Optional<Decision> early = command.rules().evaluateBeforeResolution(request);
        if (early.isPresent() && !early.get().allowed()) {
            deny(early.get());
            return;
        }
        Future<List<InetAddress>> resolving = service.resolver().resolveAll(command.destination().host(),
                ctx.channel().eventLoop());
        pending = resolving;
        resolving.addListener(done -> {
            if (resolving.isCancelled() || !ctx.channel().isActive()) {
                return;
            }
            if (!resolving.isSuccess()) {
                log.debug("{} failed: the expected peer does not resolve: {}", command.describe(),
                        resolving.cause().toString());
                replyAndClose(CommandOutcome.HOST_UNREACHABLE);
            } else if (early.isPresent()) {
                listen(ExpectedPeer.atAnyOf(resolving.getNow()));
            } else {
                listenForAllowed(request, resolving.getNow());
            }
        });
    }

    /** Expects a peer at any of the addresses the rules allow; denies when they allow none. */
    private void listenForAllowed(AccessRequest request, List<InetAddress> resolved) {
        List<InetAddress> allowed = new ArrayList<>(resolved.size());
        Decision firstDenial = null;
        for (InetAddress address : resolved) {
            Decision decision = command.rules().evaluate(request.withDestinationAddress(address));
            if (decision.allowed()) {
                allowed.add(address);
            } else if (firstDenial == null) {
                firstDenial = decision;
            }
        }
        if (allowed.isEmpty()) {
            deny(firstDenial);
        } else {
            listen(ExpectedPeer.atAnyOf(allowed));
        }
    }

    /** Listens once the limits admit the tunnel ({@link TunnelAdmission}); a refusal is answered 0x02/91. */
    private void listen(ExpectedPeer peers) {
        pending = TunnelAdmission.admit(ctx, limiter, command, replies, admitted -> {
            limits = admitted;
            listenAdmitted(peers);
        });
    }

    private void listenAdmitted(ExpectedPeer peers) {
        expected = peers;
        InetAddress local = ((InetSocketAddress) ctx.channel().localAddress()).getAddress();
        Future<Channel> opening = BindListeners.open(service, local, ctx.channel().eventLoop(), new Arrivals());
        pending = opening;
        opening.addListener(done -> onListening(opening));
    }

    private void onListening(Future<Channel> opening) {
        if (opening.isCancelled()) {
            return;
        }
        if (!opening.isSuccess()) {
            log.info("{} failed: cannot listen: {}", command.describe(), opening.cause().getMessage());
            replyAndClose(CommandOutcome.GENERAL_FAILURE);
            return;
        }
        listener = opening.getNow();
        if (!ctx.channel().isActive()) {
            listener.close();
            return;
        }
        InetSocketAddress bound = (InetSocketAddress) listener.localAddress();
        InetSocketAddress announced = service.advertisedAddress() != null
                ? new InetSocketAddress(service.advertisedAddress(), bound.getPort()) : bound;
        // The arguments build Strings: only when the line is logged.
        if (log.isDebugEnabled()) {
            log.debug("{}: listening on {} (announced as {}) for {}, up to {}", command.describe(),
                    NetUtil.toSocketAddressString(bound), NetUtil.toSocketAddressString(announced), expected,
                    service.settings().acceptTimeout());
        }
        acceptTimer = ctx.executor().schedule(this::acceptTimedOut,
                service.settings().acceptTimeout().toNanos(), TimeUnit.NANOSECONDS);
        ctx.writeAndFlush(replies.success(announced)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    /** A connection reached the listener. Only the first counts; it is relayed if it is the expected peer. */
    private void onArrival(Channel arrived) {
        InetSocketAddress from = (InetSocketAddress) arrived.remoteAddress();
        if (settled || !ctx.channel().isActive()) {
            log.debug("{}: closed a further connection from {}", command.describe(), describe(from));
            arrived.close();
            return;
        }
        if (listener == null) {
            // The listener's port is not announced yet (its future's notification was deferred):
            // whoever got here guessed it, and the first reply must come before the second.
            log.debug("{}: closed a connection from {} that came before the first reply", command.describe(),
                    describe(from));
            arrived.close();
            return;
        }
        settled = true;
        // The reply waits for the listener to be closed: a client that hears it may count on the
        // port refusing connections (with io_uring a close completes after the call returns).
        stopListening().addListener(closed -> settle(arrived, from));
    }

    /** The first connection, once the listener is closed: refused, or announced and relayed. */
    private void settle(Channel arrived, InetSocketAddress from) {
        if (!expected.matches(from.getAddress())) {
            log.info("{} refused the connection from {}: expected {}", command.describe(), describe(from), expected);
            refuse(arrived);
            return;
        }
        if (expected.anyPeer()) {
            Decision decision = command.rules().evaluate(command.accessRequest().withDestinationAddress(from.getAddress()));
            if (!decision.allowed()) {
                log.info("{} refused the connection from {}: denied by {}", command.describe(), describe(from),
                        decision.reason());
                refuse(arrived);
                return;
            }
        }
        peer = arrived;
        if (log.isDebugEnabled()) {
            log.debug("{}: {} connected", command.describe(), describe(from));
        }
        ctx.writeAndFlush(replies.success(from)).addListener(written -> {
            if (written.isSuccess()) {
                TunnelStart.afterSuccessReply(ctx.channel(), arrived, service.relay(), limits);
            } else {
                arrived.close();
                ctx.close();
            }
        });
    }

    private void refuse(Channel arrived) {
        arrived.close();
        replyAndClose(CommandOutcome.NOT_ALLOWED);
    }

    private void onAcceptFailure(Throwable cause) {
        if (settled) {
            return;
        }
        settled = true;
        log.info("{} failed: the listener cannot accept: {}", command.describe(), cause.toString());
        stopListening().addListener(closed -> replyAndClose(CommandOutcome.GENERAL_FAILURE));
    }

    private void acceptTimedOut() {
        if (settled) {
            return;
        }
        settled = true;
        log.debug("{}: no connection within {}", command.describe(), service.settings().acceptTimeout());
        stopListening().addListener(closed -> replyAndClose(CommandOutcome.TTL_EXPIRED));
    }

    /**
     * Closes the listener and stops its timer; once the returned future is done the port is free
     * again and further connections are refused.
     */
    private Future<?> stopListening() {
        if (acceptTimer != null) {
            acceptTimer.cancel(false);
        }
        if (listener == null) {
            return ctx.executor().newSucceededFuture(null);
        }
        // No further accepts in the read batch under way: they would meet a closed socket.
        listener.config().setAutoRead(false);
        return listener.close();
    }

    private void deny(Decision decision) {
        log.info("{} denied by {}", command.describe(), decision.reason());
        replyAndClose(CommandOutcome.NOT_ALLOWED);
    }

    private void replyAndClose(CommandOutcome outcome) {
        ctx.writeAndFlush(replies.failure(outcome)).addListener(ChannelFutureListener.CLOSE);
    }

    private static String describe(InetSocketAddress address) {
        return address == null ? "an unknown address" : NetUtil.toSocketAddressString(address);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // Still in the pipeline, so the relay has not started: abandon the step under way, and
        // close the listener and any peer that was accepted but never relayed.
        settled = true;
        Future<?> step = pending;
        if (step != null && !step.cancel(false) && step.isSuccess() && step.getNow() instanceof Channel) {
            ((Channel) step.getNow()).close();
        }
        stopListening();
        if (peer != null) {
            peer.close();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client failed during {}: {}", command.describe(), cause.toString());
        ctx.close();
    }

    /** Hands the listener's reports to this handler; they come on the client's event loop. */
    private final class Arrivals implements IncomingPeers {
        @Override
        public void arrived(Channel peer) {
            onArrival(peer);
        }

        @Override
        public void acceptFailed(Throwable cause) {
            onAcceptFailure(cause);
        }
    }
}
