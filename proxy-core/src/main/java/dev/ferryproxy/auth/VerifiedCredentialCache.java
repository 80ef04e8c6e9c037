package dev.ferryproxy.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;

/**
 * Remembers, for a while, that a user's password was verified against a given {@link Credential}, so a
 * returning user skips bcrypt (as Squid's {@code credentialsttl} and Apache's mod_authn_socache do).
 *
 * <p>What is kept is an HMAC-SHA256 of the password under a random per-process key, never the password.
 * An entry is tied to the Credential object it was verified against: a reload that changes or removes
 * the user yields a different (or no) Credential, so the old entry never matches. Lookups are ~1 us
 * (one HMAC of at most 255 bytes), cheap enough for the event loop. Not yet wired into PasswordLogin.
 */
public final class VerifiedCredentialCache {
    private record Verified(Credential credential, byte[] mac) {}

    private final Cache<String, Verified> verified;
    private final SecretKeySpec key;

    /** Makes the key with SecureRandom: construct off the event loop. {@code ttl} zero turns the cache off. */
    public VerifiedCredentialCache(Duration ttl, long maximumSize, Ticker ticker) {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        this.key = new SecretKeySpec(secret, "HmacSHA256");
        this.verified = Caffeine.newBuilder()
                .expireAfterWrite(ttl)
                .maximumSize(ttl.isZero() ? 0 : maximumSize)
                .ticker(ticker)
                .executor(Runnable::run)
                .build();
    }

    /** Whether {@code password} was verified for {@code user} against this very {@code credential} within the TTL. */
    public boolean isVerified(String user, Credential credential, byte[] password) {
        Verified entry = verified.getIfPresent(user);
        return entry != null && entry.credential() == credential && MessageDigest.isEqual(entry.mac(), mac(user, password));
    }

    /** Records a successful full check; call only after {@code credential.matches(password)} returned true. */
    public void remember(String user, Credential credential, byte[] password) {
        verified.put(user, new Verified(credential, mac(user, password)));
    }

    /** Drops everything, e.g. on a policy reload. */
    public void clear() {
        verified.invalidateAll();
    }

    long size() {
        verified.cleanUp();
        return verified.estimatedSize();
    }

    private byte[] mac(String user, byte[] password) {
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(key);
            hmac.update(user.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            hmac.update((byte) 0);
            return hmac.doFinal(password);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
