package dev.ferryproxy.limits;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How a server reaches the store its fleet shares limits through (Redis).
 *
 * @param redis the store's address, {@code redis://host:port} or {@code rediss://host:port} (TLS)
 * @param password the store's password, null for none
 * @param caFile a PEM file of the CA certificates that a {@code rediss://} store's certificate is
 *     checked against instead of the JDK's trust store; null for the JDK's
 * @param keyPrefix put before every key, so that several fleets (or other users) can share one store
 * @param timeout how long one call to the store may take before it counts as failed
 * @param onFailure what the limits do while the store fails
 * @param leaseTtl how long a tunnel's lease lives unless renewed; a server that dies frees its
 *     leases within this time (they are renewed every third of it)
 * @param chargeInterval how often relayed bytes are charged to the store, at the latest
 * @param chargeBatchBytes bytes of one subject that are charged at once, without waiting for the interval
 */
public record ClusterSettings(URI redis, char[] password, Path caFile, String keyPrefix, Duration timeout,
        StoreFailureMode onFailure, Duration leaseTtl, Duration chargeInterval, long chargeBatchBytes) {
    public static final String DEFAULT_KEY_PREFIX = "ferry:";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(250);
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(15);
    public static final Duration DEFAULT_CHARGE_INTERVAL = Duration.ofMillis(100);
    public static final long DEFAULT_CHARGE_BATCH_BYTES = 256 * 1024;

    public ClusterSettings {
        Objects.requireNonNull(redis, "redis");
        if (!"redis".equals(redis.getScheme()) && !"rediss".equals(redis.getScheme())) {
            throw new IllegalArgumentException("expected redis://HOST:PORT or rediss://HOST:PORT, got " + redis);
        }
        if (caFile != null && !"rediss".equals(redis.getScheme())) {
            throw new IllegalArgumentException("a CA file needs a rediss:// address, got " + redis);
        }
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(onFailure, "onFailure");
        requirePositive("timeout", timeout);
        requirePositive("leaseTtl", leaseTtl);
        requirePositive("chargeInterval", chargeInterval);
        if (leaseTtl.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("leaseTtl must be at least 1s");
        }
        if (chargeBatchBytes < 1) {
            throw new IllegalArgumentException("chargeBatchBytes must be at least 1");
        }
    }

    /** The store at {@code redis} with every other setting at its default. */
    public static ClusterSettings of(URI redis) {
        return new ClusterSettings(redis, null, null, DEFAULT_KEY_PREFIX, DEFAULT_TIMEOUT, StoreFailureMode.OPEN,
                DEFAULT_LEASE_TTL, DEFAULT_CHARGE_INTERVAL, DEFAULT_CHARGE_BATCH_BYTES);
    }

    public ClusterSettings withOnFailure(StoreFailureMode mode) {
        return new ClusterSettings(redis, password, caFile, keyPrefix, timeout, mode, leaseTtl, chargeInterval,
                chargeBatchBytes);
    }

    public ClusterSettings withTimeout(Duration callTimeout) {
        return new ClusterSettings(redis, password, caFile, keyPrefix, callTimeout, onFailure, leaseTtl, chargeInterval,
                chargeBatchBytes);
    }

    public ClusterSettings withLeaseTtl(Duration ttl) {
        return new ClusterSettings(redis, password, caFile, keyPrefix, timeout, onFailure, ttl, chargeInterval,
                chargeBatchBytes);
    }

    public ClusterSettings withChargeBatchBytes(long bytes) {
        return new ClusterSettings(redis, password, caFile, keyPrefix, timeout, onFailure, leaseTtl, chargeInterval,
                bytes);
    }

    public ClusterSettings withKeyPrefix(String prefix) {
        return new ClusterSettings(redis, password, caFile, prefix, timeout, onFailure, leaseTtl, chargeInterval,
                chargeBatchBytes);
    }

    /** Trusts the CAs in {@code file} (PEM) instead of the JDK's trust store; null for the JDK's. */
    public ClusterSettings withCaFile(Path file) {
        return new ClusterSettings(redis, password, file, keyPrefix, timeout, onFailure, leaseTtl, chargeInterval,
                chargeBatchBytes);
    }

    private static void requirePositive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be more than 0");
        }
    }

    /** Without the password, which must not reach a log. */
    @Override
    public String toString() {
        return "redis " + redis + (caFile == null ? "" : " trusting the CAs in " + caFile) + " (prefix '" + keyPrefix
                + "', timeout " + timeout.toMillis() + " ms, on failure "
                + onFailure.name().toLowerCase(java.util.Locale.ROOT) + ", lease TTL " + leaseTtl.toSeconds() + " s)";
    }

    /** Equal settings name the same store the same way (the password compared by content). */
    @Override
    public boolean equals(Object other) {
        return other instanceof ClusterSettings that && redis.equals(that.redis)
                && java.util.Arrays.equals(password, that.password) && Objects.equals(caFile, that.caFile)
                && keyPrefix.equals(that.keyPrefix) && timeout.equals(that.timeout) && onFailure == that.onFailure
                && leaseTtl.equals(that.leaseTtl)
                && chargeInterval.equals(that.chargeInterval) && chargeBatchBytes == that.chargeBatchBytes;
    }

    @Override
    public int hashCode() {
        return Objects.hash(redis, caFile, keyPrefix, timeout, onFailure, leaseTtl, chargeInterval, chargeBatchBytes);
    }
}
