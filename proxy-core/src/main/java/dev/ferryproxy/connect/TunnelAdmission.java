package dev.ferryproxy.connect;

import dev.ferryproxy.codec.SocksVersion;
import dev.ferryproxy.command.CommandContext;
import dev.ferryproxy.command.CommandOutcome;
import dev.ferryproxy.command.CommandReplies;
import dev.ferryproxy.limits.Limiter;
import dev.ferryproxy.limits.TunnelLimits;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;

/**
 * The limits' say on a CONNECT or BIND the rules allowed, before anything is dialled or bound:
 * the tunnel goes on with its share of the limits, or the client gets 0x02 (SOCKS4: 91) and the
 * connection closes. With a shared store the answer comes asynchronously; the event loop goes on
 * meanwhile.
 */
public final class TunnelAdmission {
    private static final Logger log = LoggerFactory.getLogger(TunnelAdmission.class);

    private TunnelAdmission() {
    }

    /**
     * Asks {@code limiter} to admit {@code command}'s tunnel and runs {@code next} with its limits
     * on the event loop once admitted (not when the client has gone meanwhile). Returns the pending
     * answer, for the caller to cancel when the client leaves.
     */
    public static Future<TunnelLimits> admit(ChannelHandlerContext ctx, Limiter limiter, CommandContext command,
            CommandReplies replies, Consumer<TunnelLimits> next) {
        Future<TunnelLimits> answer = limiter.admit(loggedInUser(command), command.client(), ctx.channel());
        if (answer.isDone()) {
            // Local limits answer at once: no listener, no task.
            proceed(ctx, answer, command, replies, next);
        } else {
            answer.addListener(done -> proceed(ctx, answer, command, replies, next));
        }
        return answer;
    }

    /**
     * The user whose limits apply: a SOCKS5 password login. A SOCKS4 USERID is whatever the client
     * wrote, so counting it as the user would let anyone spend another user's tunnels and quota.
     */
    static String loggedInUser(CommandContext command) {
        return command.version() == SocksVersion.SOCKS5 ? command.user() : null;
    }

    private static void proceed(ChannelHandlerContext ctx, Future<TunnelLimits> answer, CommandContext command,
            CommandReplies replies, Consumer<TunnelLimits> next) {
        if (answer.isCancelled() || !ctx.channel().isActive()) {
            return;
        }
        if (answer.isSuccess()) {
            next.accept(answer.getNow());
            return;
        }
        if (log.isDebugEnabled()) {
            log.debug("{} refused: {}", command.describe(), answer.cause().getMessage());
        }
        ctx.writeAndFlush(replies.failure(CommandOutcome.NOT_ALLOWED)).addListener(ChannelFutureListener.CLOSE);
    }
}
