package dev.ferryproxy.auth;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Checks passwords off the event loops: a bcrypt check takes tens of milliseconds, which would
 * stall every connection of a loop. Checks run on a small pool of their own. When that pool's
 * queue is full (a flood of logins), a check fails at once instead of piling up.
 *
 * <p>A user who does not exist costs a real bcrypt check too, against a hash of a random
 * password. The time of an answer therefore does not say whether the name exists.
 *
 * <p>A password that passed a full check is remembered for a while ({@link VerifiedCredentialCache}):
 * the same user with the same password is then answered on the event loop, in about a microsecond.
 * Only that: a wrong password, an unknown name, or a user whose credential a reload changed all
 * take the full check, so the cache says nothing an attacker does not already know.
 */
public final class PasswordAuthenticator implements AutoCloseable {
    private static final int QUEUE_CAPACITY = 1024;

    private final ExecutorService verifiers;
    private final VerifiedCredentialCache verified;

    /**
     * @param threads the number of threads that check passwords
     * @param verified the logins that passed a full check lately
     */
    public PasswordAuthenticator(int threads, VerifiedCredentialCache verified) {
        this.verified = verified;
        AtomicInteger count = new AtomicInteger();
        this.verifiers = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUE_CAPACITY), task -> {
                    Thread thread = new Thread(task, "ferry-auth-" + count.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                }, new ThreadPoolExecutor.AbortPolicy());
    }

    /** A bcrypt hash of a random password, made once per JVM: unknown users are checked against it. */
    private static final class UnknownUser {
        static final Credential CREDENTIAL;

        static {
            byte[] randomPassword = new byte[32];
            new SecureRandom().nextBytes(randomPassword);
            CREDENTIAL = BcryptCredential.parse(PasswordHashing.hash(randomPassword));
        }

        private UnknownUser() {
        }
    }

    /**
     * Checks {@code password} for {@code user} against {@code users}: from the cache when it passed
     * lately, else with the full check.
     *
     * @return true when the user exists and the password is theirs; completes on {@code loop};
     *     fails with {@link RejectedExecutionException} when too many checks are waiting
     */
    public Future<Boolean> verify(UserDirectory users, String user, byte[] password, EventExecutor loop) {
        if (verifiedLately(users, user, password)) {
            return loop.newSucceededFuture(true);
        }
        return fullCheck(users, user, password, loop);
    }

    /**
     * Whether this very password passed a full check for this user, as the user is configured now,
     * within the cache's TTL. Answers in the call, cheap enough for an event loop; false says only
     * "not known", and the caller goes on to {@link #fullCheck}.
     */
    public boolean verifiedLately(UserDirectory users, String user, byte[] password) {
        Optional<Credential> credential = users.find(user);
        return credential.isPresent() && verified.isVerified(user, credential.get(), password);
    }

    /**
     * The full check on a verifier thread, bcrypt and all, for a known user and an unknown one alike;
     * a password that passes is remembered.
     *
     * @return true when the user exists and the password is theirs; completes on {@code loop};
     *     fails with {@link RejectedExecutionException} when too many checks are waiting
     */
    public Future<Boolean> fullCheck(UserDirectory users, String user, byte[] password, EventExecutor loop) {
        Optional<Credential> credential = users.find(user);
        Promise<Boolean> verdict = loop.newPromise();
        try {
            verifiers.execute(() -> {
                try {
                    // UnknownUser is first touched here, on a verifier thread: its initializer reads
                    // SecureRandom's seed (a file read) and computes a bcrypt hash, neither of which
                    // may run on an event loop.
                    Credential checked = credential.isPresent() ? credential.get() : UnknownUser.CREDENTIAL;
                    boolean matches = checked.matches(password) && credential.isPresent();
                    if (matches) {
                        verified.remember(user, checked, password);
                    }
                    verdict.trySuccess(matches);
                } catch (RuntimeException | Error e) {
                    // An Error too (a failed class initializer, say): the login must still be answered.
                    verdict.tryFailure(e);
                }
            });
        } catch (RejectedExecutionException e) {
            verdict.tryFailure(e);
        }
        return verdict;
    }

    /** Forgets every remembered login: the next login of each user takes the full check again. */
    public void forgetVerifiedLogins() {
        verified.clear();
    }

    @Override
    public void close() {
        verifiers.shutdownNow();
    }
}
