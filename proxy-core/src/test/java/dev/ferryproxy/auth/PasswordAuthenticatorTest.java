package dev.ferryproxy.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PasswordAuthenticatorTest {
    private final PasswordAuthenticator authenticator =
            new PasswordAuthenticator(2, new VerifiedCredentialCache(Duration.ofMinutes(5)));
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

    @Test
    void aPasswordThatPassedIsAnsweredWithoutAnotherFullCheck() throws Exception {
        CountingCredential counted = new CountingCredential("right");
        UserDirectory alice = UserDirectory.of(Map.of("alice", counted));
        assertThat(verdict(alice, "alice", "right")).isTrue();
        assertThat(counted.checks.get()).isEqualTo(1);

        Future<Boolean> again = authenticator.verify(alice, "alice", bytes("right"), loop);
        // Answered in the call itself: no hand-over to a verifier thread and back.
        assertThat(again.isDone()).isTrue();
        assertThat(again.getNow()).isTrue();
        assertThat(counted.checks.get()).isEqualTo(1);
    }

    @Test
    void verifiedLatelyAnswersInTheCallAndFullCheckAlwaysChecks() throws Exception {
        CountingCredential counted = new CountingCredential("right");
        UserDirectory alice = UserDirectory.of(Map.of("alice", counted));
        assertThat(authenticator.verifiedLately(alice, "alice", bytes("right"))).isFalse();
        assertThat(verdict(alice, "alice", "right")).isTrue();
        assertThat(authenticator.verifiedLately(alice, "alice", bytes("right"))).isTrue();
        assertThat(authenticator.verifiedLately(alice, "alice", bytes("wrong"))).isFalse();
        assertThat(authenticator.verifiedLately(UserDirectory.empty(), "alice", bytes("right"))).isFalse();

        Future<Boolean> full = authenticator.fullCheck(alice, "alice", bytes("right"), loop);
        assertThat(full.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(full.getNow()).isTrue();
        assertThat(counted.checks.get()).isEqualTo(2);
    }

    @Test
    void aWrongPasswordAlwaysTakesTheFullCheckAndFails() throws Exception {
        CountingCredential counted = new CountingCredential("right");
        UserDirectory alice = UserDirectory.of(Map.of("alice", counted));
        assertThat(verdict(alice, "alice", "right")).isTrue();
        assertThat(verdict(alice, "alice", "wrong")).isFalse();
        assertThat(verdict(alice, "alice", "wrong")).isFalse();
        assertThat(counted.checks.get()).isEqualTo(3);
    }

    @Test
    void aFailedCheckIsNotRemembered() throws Exception {
        CountingCredential counted = new CountingCredential("right");
        UserDirectory alice = UserDirectory.of(Map.of("alice", counted));
        assertThat(verdict(alice, "alice", "wrong")).isFalse();
        assertThat(verdict(alice, "alice", "right")).isTrue();
        assertThat(counted.checks.get()).isEqualTo(2);
    }

    @Test
    void aChangedCredentialOrAForgetTakesTheFullCheckAgain() throws Exception {
        CountingCredential before = new CountingCredential("right");
        assertThat(verdict(UserDirectory.of(Map.of("alice", before)), "alice", "right")).isTrue();

        // A reload reads the users again, so the user has a new Credential, even for the same password.
        CountingCredential reloaded = new CountingCredential("new");
        UserDirectory afterReload = UserDirectory.of(Map.of("alice", reloaded));
        assertThat(verdict(afterReload, "alice", "right")).isFalse();
        assertThat(verdict(afterReload, "alice", "new")).isTrue();
        assertThat(reloaded.checks.get()).isEqualTo(2);

        authenticator.forgetVerifiedLogins();
        assertThat(verdict(afterReload, "alice", "new")).isTrue();
        assertThat(reloaded.checks.get()).isEqualTo(3);
    }

    @Test
    void anUnknownUserIsNeverAnsweredFromTheCache() throws Exception {
        CountingCredential counted = new CountingCredential("right");
        assertThat(verdict(UserDirectory.of(Map.of("alice", counted)), "alice", "right")).isTrue();
        // alice's entry must not answer for a directory in which alice does not exist.
        Future<Boolean> removed = authenticator.verify(UserDirectory.empty(), "alice", bytes("right"), loop);
        assertThat(removed.isDone()).isFalse();
        assertThat(removed.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(removed.getNow()).isFalse();
    }

    @Test
    void aZeroTtlTurnsTheCacheOff() throws Exception {
        try (PasswordAuthenticator uncached = new PasswordAuthenticator(1, new VerifiedCredentialCache(Duration.ZERO))) {
            CountingCredential counted = new CountingCredential("right");
            UserDirectory alice = UserDirectory.of(Map.of("alice", counted));
            for (int i = 0; i < 3; i++) {
                Future<Boolean> verdict = uncached.verify(alice, "alice", bytes("right"), loop);
                assertThat(verdict.await(10, TimeUnit.SECONDS)).isTrue();
                assertThat(verdict.getNow()).isTrue();
            }
            assertThat(counted.checks.get()).isEqualTo(3);
        }
    }

    /** A clear-text credential that counts its full checks. */
    private static final class CountingCredential implements Credential {
        final AtomicInteger checks = new AtomicInteger();
        private final PlainCredential password;

        CountingCredential(String password) {
            this.password = new PlainCredential(bytes(password));
        }

        @Override
        public boolean matches(byte[] given) {
            checks.incrementAndGet();
            return password.matches(given);
        }
    }

    private boolean verdict(String user, String password) throws InterruptedException {
        return verdict(users, user, password);
    }

    private boolean verdict(UserDirectory directory, String user, String password) throws InterruptedException {
        Future<Boolean> verdict = authenticator.verify(directory, user, bytes(password), loop);
        assertThat(verdict.await(10, TimeUnit.SECONDS)).isTrue();
        return verdict.getNow();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
