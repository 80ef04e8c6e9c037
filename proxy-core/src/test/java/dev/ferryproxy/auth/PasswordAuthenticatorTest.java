package dev.ferryproxy.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PasswordAuthenticatorTest {
    private final PasswordAuthenticator authenticator =
            new PasswordAuthenticator(2, new VerifiedCredentialCache(Duration.ofMinutes(5)));
    private static final InetAddress CLIENT = InetAddress.getLoopbackAddress();

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
        Future<LoginCheck> verdict = authenticator.fullCheck(users, "hashed", bytes("hashed-pw"), CLIENT, () -> true, loop);
        AtomicReference<Boolean> onLoop = new AtomicReference<>();
        CountDownLatch notified = new CountDownLatch(1);
        verdict.addListener(done -> {
            onLoop.set(loop.inEventLoop());
            notified.countDown();
        });
        assertThat(notified.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(onLoop.get()).isTrue();
        assertThat(verdict.getNow()).isEqualTo(LoginCheck.MATCH);
    }

    @Test
    void aPasswordThatPassedIsAnsweredWithoutAnotherFullCheck() throws Exception {
        CountingCredential counted = new CountingCredential("right");
        UserDirectory alice = UserDirectory.of(Map.of("alice", counted));
        assertThat(verdict(alice, "alice", "right")).isTrue();
        assertThat(counted.checks.get()).isEqualTo(1);
        // Answered in the call itself: no hand-over to a verifier thread and back.
        assertThat(authenticator.verifiedLately(alice, "alice", bytes("right"))).isTrue();
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

        assertThat(check(authenticator, alice, "alice", "right")).isEqualTo(LoginCheck.MATCH);
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
        assertThat(authenticator.verifiedLately(UserDirectory.empty(), "alice", bytes("right"))).isFalse();
        assertThat(check(authenticator, UserDirectory.empty(), "alice", "right")).isEqualTo(LoginCheck.MISMATCH);
    }

    @Test
    void aZeroTtlTurnsTheCacheOff() throws Exception {
        try (PasswordAuthenticator uncached = new PasswordAuthenticator(1, new VerifiedCredentialCache(Duration.ZERO))) {
            CountingCredential counted = new CountingCredential("right");
            UserDirectory alice = UserDirectory.of(Map.of("alice", counted));
            for (int i = 0; i < 3; i++) {
                assertThat(uncached.verifiedLately(alice, "alice", bytes("right"))).isFalse();
                assertThat(check(uncached, alice, "alice", "right")).isEqualTo(LoginCheck.MATCH);
            }
            assertThat(counted.checks.get()).isEqualTo(3);
        }
    }

    /**
     * Issue 13, finding 5: an unknown name is checked against one of the users' own credentials,
     * the same one each time, so it costs what a known name costs whatever the hashes are (here
     * clear passwords, microseconds each, where a stand-in bcrypt hash would take milliseconds).
     * Its answer never logs anyone in, even when the password is that user's.
     */
    @Test
    void anUnknownNameCostsACheckOfAUsersOwnCredentialAndNeverLogsIn() throws Exception {
        CountingCredential alice = new CountingCredential("alice-pw");
        CountingCredential bob = new CountingCredential("bob-pw");
        UserDirectory directory = UserDirectory.of(Map.of("alice", alice, "bob", bob));
        for (String name : List.of("mallory", "eve", "trent", "root", "admin", "alice2")) {
            int before = alice.checks.get() + bob.checks.get();
            assertThat(check(authenticator, directory, name, "alice-pw")).isEqualTo(LoginCheck.MISMATCH);
            assertThat(check(authenticator, directory, name, "bob-pw")).isEqualTo(LoginCheck.MISMATCH);
            assertThat(alice.checks.get() + bob.checks.get() - before).as("checks of users' credentials for %s", name)
                    .isEqualTo(2);
            assertThat(directory.decoyFor(name)).as("the same decoy each time").isEqualTo(directory.decoyFor(name));
        }
        assertThat(UserDirectory.empty().decoyFor("mallory")).isEmpty();
    }

    @Test
    void aClientWithTooManyChecksUnderWayIsRefusedAtOnce() throws Exception {
        BlockingCredential slow = new BlockingCredential();
        UserDirectory alice = UserDirectory.of(Map.of("alice", slow));
        List<Future<LoginCheck>> underWay = new ArrayList<>();
        for (int i = 0; i < PasswordAuthenticator.MAX_CHECKS_PER_CLIENT; i++) {
            underWay.add(authenticator.fullCheck(alice, "alice", bytes("x" + i), CLIENT, () -> true, loop));
        }
        Future<LoginCheck> oneTooMany = authenticator.fullCheck(alice, "alice", bytes("y"), CLIENT, () -> true, loop);
        assertThat(oneTooMany.isDone()).as("answered in the call").isTrue();
        assertThat(oneTooMany.getNow()).isEqualTo(LoginCheck.SOURCE_BUSY);
        // Another address of the same IPv6 /64 counts with it; another /64 or IPv4 address does not.
        InetAddress a = InetAddress.getByName("2001:db8:1:2::1");
        for (int i = 0; i < PasswordAuthenticator.MAX_CHECKS_PER_CLIENT; i++) {
            underWay.add(authenticator.fullCheck(alice, "alice", bytes("z" + i), a, () -> true, loop));
        }
        assertThat(authenticator.fullCheck(alice, "alice", bytes("y"), InetAddress.getByName("2001:db8:1:2::ff"),
                () -> true, loop).getNow()).isEqualTo(LoginCheck.SOURCE_BUSY);
        Future<LoginCheck> otherClient = authenticator.fullCheck(alice, "alice", bytes("y"),
                InetAddress.getByName("192.0.2.1"), () -> true, loop);
        assertThat(otherClient.isDone()).isFalse();

        slow.release.countDown();
        underWay.add(otherClient);
        for (Future<LoginCheck> check : underWay) {
            assertThat(check.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(check.getNow()).isEqualTo(LoginCheck.MISMATCH);
        }
        assertThat(authenticator.rejectedSourceBusy()).isEqualTo(2);
        // The places were given back: the same client is checked again.
        assertThat(check(authenticator, alice, "alice", "right")).isEqualTo(LoginCheck.MATCH);
    }

    @Test
    void tooManyWaitingChecksAreRefusedAtOnce() throws Exception {
        try (PasswordAuthenticator oneThread = new PasswordAuthenticator(1, new VerifiedCredentialCache(Duration.ZERO))) {
            BlockingCredential slow = new BlockingCredential();
            UserDirectory alice = UserDirectory.of(Map.of("alice", slow));
            List<Future<LoginCheck>> admitted = new ArrayList<>();
            // One running and MAX_WAITING_CHECKS waiting, each from a client of its own.
            for (int i = 0; i <= PasswordAuthenticator.MAX_WAITING_CHECKS; i++) {
                admitted.add(oneThread.fullCheck(alice, "alice", bytes("x"), client(i), () -> true, loop));
            }
            assertThat(slow.started.await(10, TimeUnit.SECONDS)).isTrue();
            Future<LoginCheck> oneTooMany = oneThread.fullCheck(alice, "alice", bytes("x"), client(200), () -> true, loop);
            assertThat(oneTooMany.isDone()).as("answered in the call").isTrue();
            assertThat(oneTooMany.getNow()).isEqualTo(LoginCheck.BUSY);
            assertThat(oneThread.rejectedBusy()).isEqualTo(1);
            slow.release.countDown();
            for (Future<LoginCheck> check : admitted) {
                assertThat(check.await(10, TimeUnit.SECONDS)).isTrue();
                assertThat(check.getNow()).isEqualTo(LoginCheck.MISMATCH);
            }
        }
    }

    @Test
    void aCheckWhoseClientHasGoneIsDroppedUnrun() throws Exception {
        try (PasswordAuthenticator oneThread = new PasswordAuthenticator(1, new VerifiedCredentialCache(Duration.ZERO))) {
            BlockingCredential slow = new BlockingCredential();
            Future<LoginCheck> first = oneThread.fullCheck(UserDirectory.of(Map.of("bob", slow)), "bob", bytes("x"),
                    client(1), () -> true, loop);
            assertThat(slow.started.await(10, TimeUnit.SECONDS)).isTrue();
            CountingCredential counted = new CountingCredential("right");
            AtomicBoolean clientOpen = new AtomicBoolean(true);
            Future<LoginCheck> queued = oneThread.fullCheck(UserDirectory.of(Map.of("alice", counted)), "alice",
                    bytes("right"), client(2), clientOpen::get, loop);
            clientOpen.set(false); // the client leaves while its check waits
            slow.release.countDown();
            assertThat(queued.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(queued.getNow()).isEqualTo(LoginCheck.ABANDONED);
            assertThat(counted.checks.get()).as("no bcrypt for a client that has gone").isZero();
            assertThat(oneThread.abandoned()).isEqualTo(1);
            assertThat(first.await(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    private static InetAddress client(int i) throws Exception {
        return InetAddress.getByName("192.0.2." + i);
    }

    /** A credential whose checks wait until the test releases them; never matches. */
    private static final class BlockingCredential implements Credential {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public boolean matches(byte[] given) {
            started.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Arrays.equals(given, bytes("right"));
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

    /** As PasswordLogin asks: the cache first, then the full check. */
    private boolean verdict(UserDirectory directory, String user, String password) throws InterruptedException {
        return authenticator.verifiedLately(directory, user, bytes(password))
                || check(authenticator, directory, user, password) == LoginCheck.MATCH;
    }

    private LoginCheck check(PasswordAuthenticator checker, UserDirectory directory, String user, String password)
            throws InterruptedException {
        Future<LoginCheck> check = checker.fullCheck(directory, user, bytes(password), CLIENT, () -> true, loop);
        assertThat(check.await(10, TimeUnit.SECONDS)).isTrue();
        return check.getNow();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
