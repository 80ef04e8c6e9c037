package dev.ferryproxy.handshake;

import dev.ferryproxy.auth.LoginCheck;
import dev.ferryproxy.codec.v5.Socks5PasswordAuthRequest;
import dev.ferryproxy.codec.v5.Socks5PasswordAuthResponse;
import dev.ferryproxy.metrics.ConnectionMetrics;
import dev.ferryproxy.metrics.HandshakeOutcome;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One RFC 1929 login: lockout check, then the cache of verified logins, else the full password
 * check off the event loop, then the answer.
 *
 * <p>A failed login is answered with STATUS 0x01 after the throttle's delay, and the connection
 * closes, as RFC 1929 requires. The decoder for requests is never installed, so no request is
 * served on a connection whose login failed, even one the client sent right behind its password.
 * The log names the user and the client, never the password.
 */
final class PasswordLogin {
    private static final Logger log = LoggerFactory.getLogger(PasswordLogin.class);

    /** Busy refusals come in floods: one line per few seconds says so. */
    private static final EveryFewSeconds BUSY_LOG = new EveryFewSeconds(5, TimeUnit.SECONDS);

    private final ProxyServices services;
    private final ProxyPolicy policy;

    PasswordLogin(ProxyServices services, ProxyPolicy policy) {
        this.services = services;
        this.policy = policy;
    }

    /** Checks the login; on success sets the user, answers 0x00 and calls {@code onSuccess}. */
    void start(ChannelHandlerContext ctx, Socks5PasswordAuthRequest request, Consumer<ChannelHandlerContext> onSuccess) {
        InetAddress client = ClientAttributes.clientAddress(ctx.channel());
        String user = request.usernameString();
        // Before the cache: a locked-out address must not learn, from a fast yes, that a guess was right.
        if (services.throttle().isLockedOut(client)) {
            log.info("login as '{}' from {} refused: too many failed logins from this address",
                    printable(user), client.getHostAddress());
            fail(ctx);
            return;
        }
        // A returning user whose password passed lately: answered here, without counting an attempt.
        // The throttle is only read on this path; writing to it per login cost more than the rest.
        if (services.authenticator().verifiedLately(policy.users(), user, request.password())) {
            if (stillConfigured(ctx, user)) {
                services.throttle().recordSuccess(client);
                succeed(ctx, user, onSuccess);
            } else {
                fail(ctx);
            }
            return;
        }
        // Nothing more is read while the password is checked: what the client sent behind its login
        // waits in the decoder, and a client cannot pile up more meanwhile.
        ctx.channel().config().setAutoRead(false);
        Future<LoginCheck> check = services.authenticator().fullCheck(policy.users(), user, request.password(),
                client, () -> ctx.channel().isActive(), ctx.executor());
        check.addListener(done -> {
            if (check.isSuccess() && check.getNow() == LoginCheck.MISMATCH) {
                // Counted even when the client has gone meanwhile: the check ran, and was wrong.
                Duration failureDelay = services.throttle().recordFailure(client);
                if (ctx.channel().isActive()) {
                    log.info("failed login as '{}' from {}", printable(user), client.getHostAddress());
                    ctx.executor().schedule(() -> fail(ctx), failureDelay.toNanos(), TimeUnit.NANOSECONDS);
                }
                return;
            }
            if (!ctx.channel().isActive()) {
                return;
            }
            if (!check.isSuccess()) {
                log.warn("login as '{}' from {} could not be checked: {}", printable(user), client.getHostAddress(),
                        check.cause().toString());
                fail(ctx);
                return;
            }
            switch (check.getNow()) {
                case MATCH -> {
                    if (!stillConfigured(ctx, user)) {
                        fail(ctx);
                        return;
                    }
                    services.throttle().recordSuccess(client);
                    // Reading resumes before onSuccess, not after: when the request came pipelined behind
                    // the login, onSuccess hands it on at once, and a command handler that turns reading
                    // off (BIND, UDP ASSOCIATE) must have the last word. While a CONNECT dials, reading
                    // stays on and the request decoder bounds what it holds (SocksFrameDecoder).
                    // (The read this asks for happens later, on the loop, not in this call.)
                    ctx.channel().config().setAutoRead(true);
                    succeed(ctx, user, onSuccess);
                }
                case MISMATCH -> throw new IllegalStateException("answered above");
                case BUSY, SOURCE_BUSY -> {
                    // Refused unchecked and at once, and not a failed login: a flood of logins costs its
                    // senders a refusal, not anyone a lockout.
                    long heldBack = BUSY_LOG.admit();
                    if (heldBack >= 0) {
                        log.info("login as '{}' from {} refused unchecked: {} (and {} more refused so since the last"
                                + " such line)", printable(user), client.getHostAddress(),
                                check.getNow() == LoginCheck.BUSY ? "too many password checks waiting"
                                        : "too many password checks under way from this address", heldBack);
                    }
                    fail(ctx);
                }
                case ABANDONED -> fail(ctx);
            }
        });
    }

    private static void succeed(ChannelHandlerContext ctx, String user, Consumer<ChannelHandlerContext> onSuccess) {
        ctx.channel().attr(ClientAttributes.USER).set(user);
        ctx.writeAndFlush(Socks5PasswordAuthResponse.SUCCESS);
        onSuccess.accept(ctx);
    }

    /**
     * Whether {@code user} is still configured now that the password matched: a reload may have
     * removed the user while the check ran. The session is registered before the check, so a
     * reload either sees it (and closes it when so configured) or has already happened (and this
     * check fails). Either way a removed user does not stay logged in.
     */
    private boolean stillConfigured(ChannelHandlerContext ctx, String user) {
        services.sessions().add(user, ctx.channel());
        if (services.policy().get().users().find(user).isPresent()) {
            return true;
        }
        log.info("login as '{}' from {} refused: the user was removed by a configuration reload", printable(user),
                ClientAttributes.clientAddress(ctx.channel()).getHostAddress());
        return false;
    }

    private static void fail(ChannelHandlerContext ctx) {
        ConnectionMetrics.of(ctx.channel()).handshake(null, HandshakeOutcome.AUTH_FAILED);
        ctx.writeAndFlush(Socks5PasswordAuthResponse.FAILURE).addListener(ChannelFutureListener.CLOSE);
    }

    /** A user name as the client sent it, with control chars escaped so it cannot forge log lines. */
    static String printable(String name) {
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7F || c == '\\') {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
