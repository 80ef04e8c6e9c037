package dev.ferryproxy.metrics;

/**
 * Optional parts of the server's meters.
 *
 * @param perUserTags whether {@code ferry.handshakes} and {@code ferry.relayed.bytes} carry a
 *     {@code user} tag (off by default): the RFC 1929 user a connection logged in as,
 *     {@value ProxyMetrics#NO_USER} for a connection without a login (SOCKS4, no-auth, or a
 *     handshake that ended before its login), {@value ProxyMetrics#OTHER_USERS} for users beyond
 *     {@code maxTaggedUsers}
 * @param maxTaggedUsers how many distinct users get a tag of their own (the first ones seen; they
 *     keep it until the server stops, reloads or not)
 */
public record MetricsSettings(boolean perUserTags, int maxTaggedUsers) {
    /** Per-user tags off; 100 users when switched on. */
    public static final MetricsSettings DEFAULT = new MetricsSettings(false, 100);

    public MetricsSettings {
        if (maxTaggedUsers < 1) {
            throw new IllegalArgumentException("metrics maxTaggedUsers: " + maxTaggedUsers + " (expected: >= 1)");
        }
    }

    /** Per-user tags on, for at most {@code maxTaggedUsers} users. */
    public static MetricsSettings perUser(int maxTaggedUsers) {
        return new MetricsSettings(true, maxTaggedUsers);
    }
}
