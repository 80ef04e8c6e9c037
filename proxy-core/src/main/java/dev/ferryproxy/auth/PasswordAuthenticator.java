package dev.ferryproxy.auth;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * Checks passwords off the event loops: a bcrypt check takes tens of milliseconds, which would
 * stall every connection of a loop. Checks run on a small pool of their own, and the work is
 * bounded so that strangers cannot hold it: at most {@link #MAX_WAITING_CHECKS} wait in all and
 * {@link #MAX_CHECKS_PER_CLIENT} are under way per client address (IPv6: per /64). A check past
 * either bound is answered at once ({@link LoginCheck#BUSY}, {@link LoginCheck#SOURCE_BUSY}), and a
 * check whose client has gone by its turn is dropped unrun ({@link LoginCheck#ABANDONED}); none
 * of these is a failed login.
 *
 * <p>A user who does not exist costs a real check too, against one of the configured users' own
 * credentials ({@link UserDirectory#decoyFor}), its answer thrown away: the same work as for a
 * known name whatever the hashes are (bcrypt of any cost, a clear password's digest). The time
 * of an answer therefore does not say whether the name exists. (With no users at all, a bcrypt
 * hash of a random password stands in.)
 *
 * <p>A password that passed a full check is remembered for a while ({@link VerifiedCredentialCache}):
 * the same user with the same password is then answered on the event loop, in about a microsecond,
 * without queueing behind anyone's check. Only that: a wrong password, an unknown name, or a user
 * whose credential a reload changed all take the full check, so the cache says nothing an
 * attacker does not already know.
 */
public final class PasswordAuthenticator implements AutoCloseable {
    /**
     * Checks that may wait for a thread, in all. bcrypt at cost 10 takes about 80 ms of a core here,
     * so the last of them is answered within about 1.3 s even with one core, not after seconds.
     */
    public static final int MAX_WAITING_CHECKS = 16;
    /**
     * Checks under way (waiting or running) per client address or IPv6 /64. More parallel logins of
     * a user from one address are answered from the cache once the first has passed.
     */
    public static final int MAX_CHECKS_PER_CLIENT = 4;

    private final ExecutorService verifiers;
    private final VerifiedCredentialCache verified;
    private final CheckAdmission admission = new CheckAdmission(MAX_CHECKS_PER_CLIENT);
    private final LongAdder rejectedBusy = new LongAdder();
    private final LongAdder rejectedSourceBusy = new LongAdder();
    private final LongAdder abandoned = new LongAdder();

    /**
     * @param threads the number of threads that check passwords
     * @param verified the logins that passed a full check lately
     */
    public PasswordAuthenticator(int threads, VerifiedCredentialCache verified) {
        this.verified = verified;
        AtomicInteger count = new AtomicInteger();
        this.verifiers = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(MAX_WAITING_CHECKS), task -> {
                    Thread thread = new Thread(task, "ferry-auth-" + count.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                }, new ThreadPoolExecutor.AbortPolicy());
    }

    /** A bcrypt hash of a random password, made once per JVM: unknown names are checked against it when no user is configured. */
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
     * @param client the client's address, for the bound per client
     * @param stillWanted asked when the check's turn comes: false (the client has gone) drops it unrun
     * @return the outcome, completed on {@code loop}
     */
    public Future<LoginCheck> fullCheck(UserDirectory users, String user, byte[] password, InetAddress client,
            BooleanSupplier stillWanted, EventExecutor loop) {
        Optional<Credential> credential = users.find(user);
        if (!admission.tryAcquire(client)) {
            rejectedSourceBusy.increment();
            return loop.newSucceededFuture(LoginCheck.SOURCE_BUSY);
        }
        Promise<LoginCheck> verdict = loop.newPromise();
        try {
            verifiers.execute(() -> {
                try {
                    if (!stillWanted.getAsBoolean()) {
                        abandoned.increment();
                        verdict.trySuccess(LoginCheck.ABANDONED);
                        return;
                    }
                    // UnknownUser is first touched here, on a verifier thread: its initializer reads
                    // SecureRandom's seed (a file read) and computes a bcrypt hash, neither of which
                    // may run on an event loop.
                    Credential checked = credential.isPresent() ? credential.get()
                            : users.decoyFor(user).orElseGet(() -> UnknownUser.CREDENTIAL);
                    boolean matches = checked.matches(password) && credential.isPresent();
                    if (matches) {
                        verified.remember(user, checked, password);
                    }
                    verdict.trySuccess(matches ? LoginCheck.MATCH : LoginCheck.MISMATCH);
                } catch (RuntimeException | Error e) {
                    // An Error too (a failed class initializer, say): the login must still be answered.
                    verdict.tryFailure(e);
                } finally {
                    admission.release(client);
                }
            });
        } catch (RejectedExecutionException e) {
            admission.release(client);
            rejectedBusy.increment();
            verdict.trySuccess(LoginCheck.BUSY);
        }
        return verdict;
    }

    /** Password checks waiting or running now. */
    public int checksUnderWay() {
        return admission.checks();
    }

    /** Checks refused because {@link #MAX_WAITING_CHECKS} were waiting. */
    public long rejectedBusy() {
        return rejectedBusy.sum();
    }

    /** Checks refused because their client had {@link #MAX_CHECKS_PER_CLIENT} under way. */
    public long rejectedSourceBusy() {
        return rejectedSourceBusy.sum();
    }

    /** Checks dropped unrun because their client had gone. */
    public long abandoned() {
        return abandoned.sum();
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
