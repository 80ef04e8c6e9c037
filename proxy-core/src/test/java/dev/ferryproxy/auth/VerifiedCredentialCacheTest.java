package dev.ferryproxy.auth;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VerifiedCredentialCacheTest {
    private final AtomicLong nanos = new AtomicLong();
    private final Credential alice = password -> true;

    private VerifiedCredentialCache cache(Duration ttl, long size) {
        return new VerifiedCredentialCache(ttl, size, nanos::get);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void rememberedPasswordIsVerifiedUntilTheTtlEnds() {
        VerifiedCredentialCache cache = cache(Duration.ofMinutes(5), 100);
        assertFalse(cache.isVerified("alice", alice, b("pw")));
        cache.remember("alice", alice, b("pw"));
        assertTrue(cache.isVerified("alice", alice, b("pw")));
        nanos.addAndGet(Duration.ofMinutes(5).plusNanos(1).toNanos());
        assertFalse(cache.isVerified("alice", alice, b("pw")));
    }

    @Test
    void wrongPasswordMisses() {
        VerifiedCredentialCache cache = cache(Duration.ofMinutes(5), 100);
        cache.remember("alice", alice, b("pw"));
        assertFalse(cache.isVerified("alice", alice, b("pX")));
        assertFalse(cache.isVerified("bob", alice, b("pw")));
    }

    @Test
    void changedCredentialMisses() {
        VerifiedCredentialCache cache = cache(Duration.ofMinutes(5), 100);
        cache.remember("alice", alice, b("pw"));
        Credential reloaded = password -> true;
        assertFalse(cache.isVerified("alice", reloaded, b("pw")));
    }

    @Test
    void sizeIsBoundedAndZeroTtlKeepsNothing() {
        VerifiedCredentialCache bounded = cache(Duration.ofMinutes(5), 2);
        for (int i = 0; i < 10; i++) {
            bounded.remember("u" + i, alice, b("pw"));
        }
        assertTrue(bounded.size() <= 2);
        VerifiedCredentialCache off = cache(Duration.ZERO, 100);
        off.remember("alice", alice, b("pw"));
        assertFalse(off.isVerified("alice", alice, b("pw")));
        assertEquals(0, off.size());
    }

    @Test
    void clearDropsEverything() {
        VerifiedCredentialCache cache = cache(Duration.ofMinutes(5), 100);
        cache.remember("alice", alice, b("pw"));
        cache.clear();
        assertFalse(cache.isVerified("alice", alice, b("pw")));
    }

    @Test
    void countsHitsAndMisses() {
        VerifiedCredentialCache cache = cache(Duration.ofMinutes(5), 100);
        cache.isVerified("alice", alice, b("pw"));
        cache.remember("alice", alice, b("pw"));
        cache.isVerified("alice", alice, b("pw"));
        cache.isVerified("alice", alice, b("wrong"));
        assertEquals(1, cache.hits());
        assertEquals(2, cache.misses());
    }
}
