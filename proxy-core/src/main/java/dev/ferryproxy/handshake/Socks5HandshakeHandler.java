package dev.ferryproxy.handshake;

import dev.ferryproxy.accesslog.TunnelRecord;
import dev.ferryproxy.codec.SocksVersion;
import dev.ferryproxy.codec.v5.Socks5AuthMethod;
import dev.ferryproxy.codec.v5.Socks5CommandRequest;
import dev.ferryproxy.codec.v5.Socks5CommandRequestDecoder;
import dev.ferryproxy.codec.v5.Socks5CommandResponse;
import dev.ferryproxy.codec.v5.Socks5CommandStatus;
import dev.ferryproxy.codec.v5.Socks5CommandType;
import dev.ferryproxy.codec.v5.Socks5InitialRequest;
import dev.ferryproxy.codec.v5.Socks5InitialResponse;
import dev.ferryproxy.codec.v5.Socks5PasswordAuthRequest;
import dev.ferryproxy.codec.v5.Socks5PasswordAuthRequestDecoder;
import dev.ferryproxy.command.CommandContext;
import dev.ferryproxy.command.Socks5CommandReplies;
import dev.ferryproxy.internal.PipelineNames;
import dev.ferryproxy.metrics.ConnectionMetrics;
import dev.ferryproxy.metrics.HandshakeOutcome;
import dev.ferryproxy.metrics.MeteredReplies;
import dev.ferryproxy.policy.Command;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SOCKS5 handshake of one connection: method selection, the RFC 1929 login when the policy
 * asks for one, then the request, then hand-off to the command's handler.
 *
 * <p>Method selection looks at every method the client offers, in any order. When passwords
 * are required, only 0x02 is acceptable. Otherwise 0x02 is taken when users exist and the
 * client offers it (so rules can name the user), and 0x00 if not. When nothing offered is
 * acceptable, the answer is 0xFF and the connection closes.
 */
public final class Socks5HandshakeHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Socks5HandshakeHandler.class);

    private final ProxyServices services;
    /**
     * The policy as it was when this client arrived: a reload does not change the method chosen or
     * the rules of a handshake under way. Passwords are the exception: {@link PasswordLogin} checks
     * them against the users as they are now.
     */
    private ProxyPolicy policy;

    public Socks5HandshakeHandler(ProxyServices services) {
        this.services = services;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        policy = services.policy().get();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Socks5InitialRequest) {
            onGreeting(ctx, (Socks5InitialRequest) msg);
        } else if (msg instanceof Socks5PasswordAuthRequest) {
            new PasswordLogin(services).start(ctx, (Socks5PasswordAuthRequest) msg,
                    this::continueWithRequest);
        } else if (msg instanceof Socks5CommandRequest) {
            onRequest(ctx, (Socks5CommandRequest) msg);
        } else {
            // The decoders hold back every byte they do not decode; anything else is a wiring bug.
            ReferenceCountUtil.release(msg);
            throw new IllegalStateException("unexpected message in a SOCKS5 handshake: " + msg.getClass().getName());
        }
    }

    private void onGreeting(ChannelHandlerContext ctx, Socks5InitialRequest greeting) {
        boolean offersPassword = greeting.offers(Socks5AuthMethod.PASSWORD);
        boolean usePassword = offersPassword && !policy.users().isEmpty();
        if (!usePassword && (policy.passwordRequired() || !greeting.offers(Socks5AuthMethod.NO_AUTH))) {
            log.debug("SOCKS5 client {} offers no acceptable method: {}{}", ClientAttributes.clientSocketAddress(ctx.channel()),
                    greeting.methods(), policy.passwordRequired() ? " (a password is required)" : "");
            ConnectionMetrics.of(ctx.channel()).handshake(null, HandshakeOutcome.AUTH_FAILED);
            HandshakeFailures.replyAndClose(ctx, Socks5InitialResponse.NO_ACCEPTABLE_METHOD);
            return;
        }
        // Reply first: the replace hands a pipelined frame to the new decoder at once, and its
        // answer (a failure can be written right away) must not overtake the method selection.
        if (usePassword) {
            ctx.writeAndFlush(Socks5InitialResponse.PASSWORD);
            ctx.pipeline().replace(PipelineNames.DECODER, PipelineNames.DECODER, new Socks5PasswordAuthRequestDecoder());
        } else {
            ctx.writeAndFlush(Socks5InitialResponse.NO_AUTH);
            ctx.pipeline().replace(PipelineNames.DECODER, PipelineNames.DECODER, new Socks5CommandRequestDecoder());
        }
    }

    /** After a successful login: the request comes next. */
    private void continueWithRequest(ChannelHandlerContext ctx) {
        // Its handshake and relayed bytes count under its user (when per-user tags are on).
        ConnectionMetrics.of(ctx.channel()).user(ClientAttributes.user(ctx.channel()));
        ctx.pipeline().replace(PipelineNames.DECODER, PipelineNames.DECODER, new Socks5CommandRequestDecoder());
    }

    private void onRequest(ChannelHandlerContext ctx, Socks5CommandRequest request) {
        PipelineNames.removeIfPresent(ctx.pipeline(), PipelineNames.HANDSHAKE_TIMEOUT);
        Command kind = commandOf(request.type());
        if (kind == null) {
            log.debug("SOCKS5 client {} asked for unknown command {}", ClientAttributes.clientSocketAddress(ctx.channel()), request.type());
            ConnectionMetrics.of(ctx.channel()).handshake(null, HandshakeOutcome.COMMAND_NOT_SUPPORTED);
            HandshakeFailures.replyAndClose(ctx, Socks5CommandResponse.failure(Socks5CommandStatus.COMMAND_UNSUPPORTED));
            return;
        }
        CommandContext command = new CommandContext(ClientAttributes.clientAddress(ctx.channel()),
                ClientAttributes.user(ctx.channel()), SocksVersion.SOCKS5, kind, request.dst(),
                policy.effectiveRules());
        ConnectionMetrics metrics = ConnectionMetrics.of(ctx.channel());
        TunnelRecord record = TunnelRecord.of(ctx.channel());
        record.request(command);
        ChannelHandler handler = CommandHandlers.forCommand(services, policy, command,
                new MeteredReplies(Socks5CommandReplies.INSTANCE, metrics, kind, record));
        if (handler == null) {
            log.info("{} refused: {} is switched off on this server", command.describe(), request.type());
            metrics.handshake(kind, HandshakeOutcome.COMMAND_NOT_SUPPORTED);
            HandshakeFailures.replyAndClose(ctx, Socks5CommandResponse.failure(Socks5CommandStatus.COMMAND_UNSUPPORTED));
            return;
        }
        ctx.pipeline().replace(this, PipelineNames.COMMAND, handler);
    }

    /** The command for a CMD byte, or {@code null} when SOCKS5 defines none. */
    private static Command commandOf(Socks5CommandType type) {
        if (Socks5CommandType.CONNECT.equals(type)) {
            return Command.CONNECT;
        } else if (Socks5CommandType.BIND.equals(type)) {
            return Command.BIND;
        } else if (Socks5CommandType.UDP_ASSOCIATE.equals(type)) {
            return Command.UDP_ASSOCIATE;
        }
        return null;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        HandshakeFailures.fail(ctx, SocksVersion.SOCKS5, cause);
    }
}
