package dev.ferryproxy.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * Remembers, for a while, that a user's password was verified against a given {@link Credential}, so a
 * returning user skips bcrypt (as Squid's {@code credentialsttl} and Apache's mod_authn_socache do).
 * Clients such as browsers, curl and proxychains open a connection per request, and without this each
 * one paid a full bcrypt check (tens of milliseconds of CPU).
 *
 * <p>What is kept is an HMAC-SHA256 of the name and password under a random per-process key, never the
 * password: a heap dump does not give passwords away, nor can a table of fast hashes be run against
 * it without the key. An entry is tied to the Credential object it was verified against: a reload
 * that changes or removes the user yields a different (or no) Credential, so the old entry never
 * matches; {@link #clear()} drops them all besides. A lookup is one HMAC of at most 511 bytes and a
 * constant-time compare, cheap enough for the event loop. A wrong password never matches, so it
 * always goes to the full check (and the throttle); only a password that passed a full check within
 * the TTL is answered from here.
 */
public final class VerifiedCredentialCache {
    /** How many users are remembered at most; past that the least likely to return are dropped. */
    public static final long DEFAULT_MAXIMUM_SIZE = 100_000;

    private record Verified(Credential credential, byte[] mac) {}

    private final Cache<String, Verified> verified;
    private final boolean enabled;
    /** One Mac per thread: Mac.getInstance is a provider lookup, and a Mac is not thread-safe. */
    private final ThreadLocal<Mac> macs;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    /**
     * Makes the key with SecureRandom: construct off the event loop.
     *
     * @param ttl how long after a full check a login is answered from the cache; zero turns the cache off
     */
    public VerifiedCredentialCache(Duration ttl, long maximumSize, Ticker ticker) {
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("ttl: " + ttl + " (expected: >= 0)");
        }
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        SecretKeySpec key = new SecretKeySpec(secret, "HmacSHA256");
        this.macs = ThreadLocal.withInitial(() -> newMac(key));
        this.enabled = !ttl.isZero();
        this.verified = Caffeine.newBuilder()
                .expireAfterWrite(ttl)
                .maximumSize(enabled ? maximumSize : 0)
                .ticker(ticker)
                // Maintenance (expiry, eviction) runs on the calling thread, in O(1) steps, instead of
                // on ForkJoinPool's common pool.
                .executor(Runnable::run)
                .build();
    }

    public VerifiedCredentialCache(Duration ttl) {
        this(ttl, DEFAULT_MAXIMUM_SIZE, Ticker.systemTicker());
    }

    /** Whether {@code password} was verified for {@code user} against this very {@code credential} within the TTL. */
    public boolean isVerified(String user, Credential credential, byte[] password) {
        if (!enabled) {
            return false;
        }
        Verified entry = verified.getIfPresent(user);
        boolean hit = entry != null && entry.credential() == credential
                && MessageDigest.isEqual(entry.mac(), mac(user, password));
        (hit ? hits : misses).increment();
        return hit;
    }

    /** Records a successful full check; call only after {@code credential.matches(password)} returned true. */
    public void remember(String user, Credential credential, byte[] password) {
        if (enabled) {
            verified.put(user, new Verified(credential, mac(user, password)));
        }
    }

    /** Drops everything, e.g. on a policy reload. */
    public void clear() {
        verified.invalidateAll();
    }

    /** Logins answered from the cache. */
    public long hits() {
        return hits.sum();
    }

    /** Logins of a configured user that needed the full check. */
    public long misses() {
        return misses.sum();
    }

    long size() {
        verified.cleanUp();
        return verified.estimatedSize();
    }

    private byte[] mac(String user, byte[] password) {
        Mac hmac = macs.get();
        hmac.update(user.getBytes(StandardCharsets.UTF_8));
        // A separator, so ("ab", "c") and ("a", "bc") differ. Names cannot hold NUL (UserNames).
        hmac.update((byte) 0);
        return hmac.doFinal(password);
    }

    private static Mac newMac(SecretKeySpec key) {
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(key);
            return hmac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
