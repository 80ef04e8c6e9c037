package dev.ferryproxy.handshake;

import dev.ferryproxy.auth.Credential;
import dev.ferryproxy.auth.LoginCheck;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.codec.v5.Socks5PasswordAuthRequest;
import dev.ferryproxy.codec.v5.Socks5PasswordAuthResponse;
import dev.ferryproxy.logging.EveryFewSeconds;
import dev.ferryproxy.logging.LogText;
import dev.ferryproxy.metrics.ConnectionMetrics;
import dev.ferryproxy.metrics.HandshakeOutcome;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;
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

    PasswordLogin(ProxyServices services) {
        this.services = services;
    }

    /** Checks the login; on success sets the user, answers 0x00 and calls {@code onSuccess}. */
    void start(ChannelHandlerContext ctx, Socks5PasswordAuthRequest request, Consumer<ChannelHandlerContext> onSuccess) {
        InetAddress client = ClientAttributes.clientAddress(ctx.channel());
        String user = request.usernameString();
        // The users as they are now, not as they were when the client greeted: a password that a
        // reload revoked must not pass on a connection that was opened before it.
        UserDirectory users = services.policy().get().users();
        // Before the cache: a locked-out address must not learn, from a fast yes, that a guess was right.
        if (services.throttle().isLockedOut(client)) {
            log.info("login as '{}' from {} refused: too many failed logins from this address",
                    LogText.escape(user), client.getHostAddress());
            fail(ctx);
            return;
        }
        // A returning user whose password passed lately: answered here, without counting an attempt.
        // The throttle is only read on this path; writing to it per login cost more than the rest.
        if (services.authenticator().verifiedLately(users, user, request.password())) {
            if (stillConfigured(ctx, user, users)) {
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
        Future<LoginCheck> check = services.authenticator().fullCheck(users, user, request.password(),
                client, () -> ctx.channel().isActive(), ctx.executor());
        check.addListener(done -> {
            if (check.isSuccess() && check.getNow() == LoginCheck.MISMATCH) {
                // Counted even when the client has gone meanwhile: the check ran, and was wrong.
                Duration failureDelay = services.throttle().recordFailure(client);
                if (ctx.channel().isActive()) {
                    log.info("failed login as '{}' from {}", LogText.escape(user), client.getHostAddress());
                    ctx.executor().schedule(() -> fail(ctx), failureDelay.toNanos(), TimeUnit.NANOSECONDS);
                }
                return;
            }
            if (!ctx.channel().isActive()) {
                return;
            }
            if (!check.isSuccess()) {
                log.warn("login as '{}' from {} could not be checked: {}", LogText.escape(user), client.getHostAddress(),
                        check.cause().toString());
                fail(ctx);
                return;
            }
            switch (check.getNow()) {
                case MATCH -> {
                    if (!stillConfigured(ctx, user, users)) {
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
                                + " such line)", LogText.escape(user), client.getHostAddress(),
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
     * Whether {@code user} still has, now that the password matched, the very credential it was
     * checked against in {@code checked}: a reload may have removed the user or changed the
     * password while the check ran. The session is registered before this look, so a reload either
     * sees it (and closes it when so configured) or has already happened (and this login fails).
     * Either way a removed user does not stay logged in, and a revoked password does not pass. (A
     * reload that re-read the user unchanged makes a new credential too; a login that overlapped it
     * fails, and the client's next try is checked against the new one.)
     */
    private boolean stillConfigured(ChannelHandlerContext ctx, String user, UserDirectory checked) {
        services.sessions().add(user, ctx.channel());
        Optional<Credential> now = services.policy().get().users().find(user);
        if (now.isPresent() && now.get() == checked.find(user).orElse(null)) {
            return true;
        }
        log.info("login as '{}' from {} refused: a configuration reload {} the user while the password was checked",
                LogText.escape(user), ClientAttributes.clientAddress(ctx.channel()).getHostAddress(),
                now.isPresent() ? "changed" : "removed");
        return false;
    }

    private static void fail(ChannelHandlerContext ctx) {
        ConnectionMetrics.of(ctx.channel()).handshake(null, HandshakeOutcome.AUTH_FAILED);
        ctx.writeAndFlush(Socks5PasswordAuthResponse.FAILURE).addListener(ChannelFutureListener.CLOSE);
    }
}
