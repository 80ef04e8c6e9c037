package dev.ferryproxy.handshake;

import dev.ferryproxy.accesslog.TunnelRecord;
import dev.ferryproxy.codec.SocksVersion;
import dev.ferryproxy.codec.v4.Socks4CommandRequest;
import dev.ferryproxy.codec.v4.Socks4CommandResponse;
import dev.ferryproxy.codec.v4.Socks4CommandType;
import dev.ferryproxy.command.CommandContext;
import dev.ferryproxy.command.Socks4CommandReplies;
import dev.ferryproxy.internal.PipelineNames;
import dev.ferryproxy.metrics.ConnectionMetrics;
import dev.ferryproxy.metrics.HandshakeOutcome;
import dev.ferryproxy.metrics.MeteredReplies;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Action;
import dev.ferryproxy.policy.Command;
import dev.ferryproxy.policy.Decision;
import dev.ferryproxy.policy.Rule;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The SOCKS4/4a handshake of one connection: one request, then hand-off to the command's handler.
 *
 * <p>SOCKS4 carries no password. When passwords are required, a SOCKS4 request is refused (91)
 * unless the rule that decides it allows it and names SOCKS version 4 explicitly: an operator
 * must open SOCKS4 on purpose, for the clients the rule names. The USERID counts as the user
 * for rules.
 *
 * <p>It keeps no state of its own (it reads the policy once per request), so one instance serves
 * every SOCKS4 connection of a server.
 */
@Sharable
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
        ProxyPolicy policy = services.policy().get();
        String userId = request.userId().isEmpty() ? null : request.userId();
        if (userId != null) {
            ctx.channel().attr(ClientAttributes.USER).set(userId);
        }
        AccessRules rules = policy.passwordRequired()
                ? onlyExplicitSocks4Allows(policy.effectiveRules())
                : policy.effectiveRules();
        CommandContext command = new CommandContext(ClientAttributes.clientAddress(ctx.channel()), userId,
                SocksVersion.SOCKS4, request.type() == Socks4CommandType.BIND ? Command.BIND : Command.CONNECT,
                request.dst(), rules);
        TunnelRecord record = TunnelRecord.of(ctx.channel());
        record.request(command);
        if (policy.passwordRequired() && refusedBeforeResolution(command)) {
            log.info("{} refused: SOCKS4 carries no password, passwords are required, and no rule allows "
                    + "SOCKS4 for this client", command.describe());
            ConnectionMetrics.of(ctx.channel()).handshake(command.command(), HandshakeOutcome.NOT_ALLOWED);
            HandshakeFailures.replyAndClose(ctx, Socks4CommandResponse.rejected());
            return;
        }
        // A SOCKS4a name that no rule can decide before it is resolved goes on: the command handler
        // checks each resolved address against the same rules, so only an address whose deciding
        // rule allows and names SOCKS4 is dialled.
        ConnectionMetrics metrics = ConnectionMetrics.of(ctx.channel());
        ChannelHandler handler = CommandHandlers.forCommand(services, policy, command,
                new MeteredReplies(Socks4CommandReplies.INSTANCE, metrics, command.command(), record));
        if (handler == null) {
            log.info("{} refused: {} is switched off on this server", command.describe(), request.type());
            metrics.handshake(command.command(), HandshakeOutcome.COMMAND_NOT_SUPPORTED);
            HandshakeFailures.replyAndClose(ctx, Socks4CommandResponse.rejected());
            return;
        }
        ctx.pipeline().replace(this, PipelineNames.COMMAND, handler);
    }

    /** Whether the rules refuse this request on what is known before any name is resolved. */
    private static boolean refusedBeforeResolution(CommandContext command) {
        Optional<Decision> decision = command.rules().evaluateBeforeResolution(command.accessRequest());
        return decision.isPresent() && decision.get().action() != Action.ALLOW;
    }

    /**
     * The rules as SOCKS4 meets them when passwords are required: each rule that allows without
     * naming SOCKS version 4 becomes a denial on the same conditions. First match still wins, so
     * a request is allowed exactly when the rule that decides it allows it and names SOCKS4, and
     * that holds for each address of a name resolved later too.
     */
    private static AccessRules onlyExplicitSocks4Allows(AccessRules rules) {
        List<Rule> adjusted = new ArrayList<>(rules.rules().size());
        for (Rule rule : rules.rules()) {
            if (rule.action() == Action.ALLOW && !rule.socksVersions().contains(4)) {
                adjusted.add(new Rule(rule.name() + ", which does not name SOCKS4 while passwords are required",
                        Action.DENY, rule.clients(), rule.users(), rule.socksVersions(), rule.commands(),
                        rule.destinationNetworks(), rule.destinationNames(), rule.destinationPorts(), null));
            } else {
                adjusted.add(rule);
            }
        }
        return new AccessRules(adjusted, rules.guard());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        HandshakeFailures.fail(ctx, SocksVersion.SOCKS4, cause);
    }
}
