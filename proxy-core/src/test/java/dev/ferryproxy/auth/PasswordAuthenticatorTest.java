package dev.ferryproxy.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PasswordAuthenticatorTest {
    private final PasswordAuthenticator authenticator = new PasswordAuthenticator(2);
    private final EventLoop loop = new DefaultEventLoop();
    private final UserDirectory users = UserDirectory.of(Map.of(
            "plain", new PlainCredential(bytes("plain-pw")),
            "hashed", BcryptCredential.parse(PasswordHashing.hash(bytes("hashed-pw")))));

    @AfterEach
    void stop() {
        authenticator.close();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void acceptsTheRightPasswordForEitherKindOfCredential() throws Exception {
        assertThat(verdict("plain", "plain-pw")).isTrue();
        assertThat(verdict("hashed", "hashed-pw")).isTrue();
    }

    @Test
    void refusesAWrongPasswordAndAnUnknownUser() throws Exception {
        assertThat(verdict("plain", "plain-pw!")).isFalse();
        assertThat(verdict("hashed", "plain-pw")).isFalse();
        assertThat(verdict("nobody", "plain-pw")).isFalse();
    }

    @Test
    void namesAreCaseSensitive() throws Exception {
        assertThat(verdict("Plain", "plain-pw")).isFalse();
    }

    @Test
    void theVerdictArrivesOnTheAskingEventLoop() throws Exception {
        Future<Boolean> verdict = authenticator.verify(users, "hashed", bytes("hashed-pw"), loop);
        AtomicReference<Boolean> onLoop = new AtomicReference<>();
        CountDownLatch notified = new CountDownLatch(1);
        verdict.addListener(done -> {
            onLoop.set(loop.inEventLoop());
            notified.countDown();
        });
        assertThat(notified.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(onLoop.get()).isTrue();
    }

    private boolean verdict(String user, String password) throws InterruptedException {
        Future<Boolean> verdict = authenticator.verify(users, user, bytes(password), loop);
        assertThat(verdict.await(10, TimeUnit.SECONDS)).isTrue();
        return verdict.getNow();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
