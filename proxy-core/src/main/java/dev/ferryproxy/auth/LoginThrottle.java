package dev.ferryproxy.auth;

import dev.ferryproxy.admission.ClientPrefix;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Slows down password guessing per client address. Each failed login is answered only after a
 * delay that doubles with every failure (up to a cap). After too many failures the address is
 * refused outright for a while, without its password being checked. A success clears the count.
 *
 * <p>Only a check that ran and failed counts ({@link #recordFailure}): a login refused because
 * the checks were busy, or dropped because its client left, is no failure, so strangers cannot
 * lock a user's address out by flooding. Logins sent in parallel get at most
 * {@link PasswordAuthenticator#MAX_CHECKS_PER_CLIENT} checks ahead of the count.
 *
 * <p>IPv6 clients are counted per /64, which is what one host usually holds. The table is
 * bounded: under a flood from many addresses the least recently seen are forgotten first.
 */
public final class LoginThrottle {
    /**
     * @param baseDelay the delay before answering the first failure
     * @param maxDelay the longest delay before answering a failure
     * @param lockoutAfter failures after which the address is refused
     * @param lockoutDuration how long it is refused
     * @param forgetAfter how long an address's failures are remembered without a new one
     */
    public record Settings(Duration baseDelay, Duration maxDelay, int lockoutAfter, Duration lockoutDuration,
            Duration forgetAfter) {
        public static final Settings DEFAULT = new Settings(Duration.ofMillis(250), Duration.ofSeconds(4), 10,
                Duration.ofMinutes(5), Duration.ofMinutes(15));

        public Settings {
            Objects.requireNonNull(baseDelay, "baseDelay");
            Objects.requireNonNull(maxDelay, "maxDelay");
            Objects.requireNonNull(lockoutDuration, "lockoutDuration");
            Objects.requireNonNull(forgetAfter, "forgetAfter");
            if (baseDelay.isNegative() || maxDelay.compareTo(baseDelay) < 0) {
                throw new IllegalArgumentException("throttle delays: base " + baseDelay + ", max " + maxDelay
                        + " (expected: 0 <= base <= max)");
            }
            if (lockoutAfter < 1) {
                throw new IllegalArgumentException("lockoutAfter: " + lockoutAfter + " (expected: >= 1)");
            }
        }
    }

    private static final int MAX_TRACKED_CLIENTS = 100_000;

    /** One client's record: failures so far and the end of its lockout, in ticker nanos. */
    private record Failures(int count, long lockedUntilNanos) {
    }

    private final Settings settings;
    private final Ticker ticker;
    private final Cache<InetAddress, Failures> failures;
    private final AtomicLong failedLogins = new AtomicLong();

    public LoginThrottle(Settings settings) {
        this(settings, Ticker.systemTicker());
    }

    /** With a ticker of its own, so that tests can move time. */
    public LoginThrottle(Settings settings, Ticker ticker) {
        this.settings = settings;
        this.ticker = ticker;
        this.failures = Caffeine.newBuilder()
                .maximumSize(MAX_TRACKED_CLIENTS)
                .expireAfterAccess(settings.forgetAfter().compareTo(settings.lockoutDuration()) > 0
                        ? settings.forgetAfter() : settings.lockoutDuration())
                .ticker(ticker)
                // Maintenance (expiry, eviction) runs on the calling thread in small steps, instead of
                // being handed to ForkJoinPool's common pool after writes: a thread wake-up per login.
                .executor(Runnable::run)
                .build();
    }

    /** Whether {@code client} is refused for now: its next login is failed without a check. */
    public boolean isLockedOut(InetAddress client) {
        Failures record = failures.getIfPresent(ClientPrefix.of(client));
        return record != null && record.lockedUntilNanos() - ticker.read() > 0;
    }

    /**
     * Counts a login whose password was checked and was wrong (or whose user does not exist).
     * Logins refused during a lockout are not counted: a lockout is not extended by attempts made
     * while it lasts.
     *
     * @return how long to wait before answering it
     */
    public Duration recordFailure(InetAddress client) {
        failedLogins.incrementAndGet();
        InetAddress key = ClientPrefix.of(client);
        Failures updated = failures.asMap().merge(key, new Failures(1, 0),
                (old, first) -> new Failures(old.count() + 1, 0));
        if (updated.count() >= settings.lockoutAfter()) {
            // Once over the limit, every further failure (after a lockout ends) locks the address again.
            failures.put(key, new Failures(updated.count(), ticker.read() + settings.lockoutDuration().toNanos()));
        }
        return delayAfter(updated.count());
    }

    /** Clears the failures of {@code client} after it logged in. */
    public void recordSuccess(InetAddress client) {
        InetAddress key = ClientPrefix.of(client);
        // Most logins follow no failure: a read then, not a write.
        if (failures.getIfPresent(key) != null) {
            failures.invalidate(key);
        }
    }

    /** Failed logins counted since start. */
    public long failedLogins() {
        return failedLogins.get();
    }

    private Duration delayAfter(int failureCount) {
        int doublings = Math.min(failureCount - 1, 20);
        Duration delay = settings.baseDelay().multipliedBy(1L << doublings);
        return delay.compareTo(settings.maxDelay()) > 0 ? settings.maxDelay() : delay;
    }

}
