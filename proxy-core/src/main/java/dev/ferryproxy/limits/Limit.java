package dev.ferryproxy.limits;

/**
 * What one subject (a user, a client network or a client address) may use. Each bound is
 * optional: 0 (or a null quota) means no bound of that kind.
 *
 * @param tunnels how many CONNECT and BIND tunnels it may hold open at once
 * @param connectionsPerSecond how many new tunnels it may open per second, on average
 * @param connectionBurst how many it may open at once above that average (at least 1 when
 *     {@code connectionsPerSecond} is set)
 * @param uploadBytesPerSecond bytes per second from its clients to their targets
 * @param downloadBytesPerSecond bytes per second from the targets to its clients
 * @param quota bytes in both directions per period, or null
 */
public record Limit(int tunnels, double connectionsPerSecond, int connectionBurst, long uploadBytesPerSecond,
        long downloadBytesPerSecond, Quota quota) {
    /** No bound at all. */
    public static final Limit NONE = new Limit(0, 0, 0, 0, 0, null);

    public Limit {
        if (tunnels < 0 || connectionsPerSecond < 0 || connectionBurst < 0 || uploadBytesPerSecond < 0
                || downloadBytesPerSecond < 0) {
            throw new IllegalArgumentException("a limit cannot be negative");
        }
        if (Double.isNaN(connectionsPerSecond) || Double.isInfinite(connectionsPerSecond)) {
            throw new IllegalArgumentException("connectionsPerSecond must be a finite number");
        }
        if (connectionsPerSecond > 0 && connectionBurst == 0) {
            connectionBurst = Math.max(1, (int) Math.ceil(connectionsPerSecond));
        }
    }

    /** Whether this bounds anything. */
    public boolean limitsAnything() {
        return tunnels > 0 || connectionsPerSecond > 0 || uploadBytesPerSecond > 0 || downloadBytesPerSecond > 0
                || quota != null;
    }

    /** Whether this bounds what must be checked before a tunnel opens (its count, its rate, its quota). */
    public boolean limitsAdmission() {
        return tunnels > 0 || connectionsPerSecond > 0 || quota != null;
    }

    /** Whether this bounds the bytes a tunnel relays (bandwidth or quota). */
    public boolean limitsBytes() {
        return uploadBytesPerSecond > 0 || downloadBytesPerSecond > 0 || quota != null;
    }

    /** For logs and {@code --check-config}: the bounds set, such as "3 tunnels, 1048576 B/s down". */
    public String describe() {
        StringBuilder text = new StringBuilder();
        if (tunnels > 0) {
            append(text, tunnels + " tunnels");
        }
        if (connectionsPerSecond > 0) {
            append(text, trim(connectionsPerSecond) + " new/s (burst " + connectionBurst + ")");
        }
        if (uploadBytesPerSecond > 0) {
            append(text, uploadBytesPerSecond + " B/s up");
        }
        if (downloadBytesPerSecond > 0) {
            append(text, downloadBytesPerSecond + " B/s down");
        }
        if (quota != null) {
            append(text, quota.describe());
        }
        return text.length() == 0 ? "none" : text.toString();
    }

    private static void append(StringBuilder text, String part) {
        text.append(text.length() == 0 ? "" : ", ").append(part);
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
