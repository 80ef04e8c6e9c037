package dev.ferryproxy.limits;

import java.util.Objects;

/**
 * Who a limit is counted against: a user, a client network as a whole, or one client address.
 *
 * @param key the name the counters are kept under, locally and in the shared store
 *     ({@code user:alice}, {@code net:10.0.0.0/8}, {@code addr:192.0.2.7})
 * @param user the user's name for a user subject (for per-user metrics), else null
 * @param limit the bounds that apply
 */
public record Subject(String key, String user, Limit limit) {
    public Subject {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(limit, "limit");
    }

    static Subject user(String name, Limit limit) {
        return new Subject("user:" + name, name, limit);
    }

    static Subject network(String cidr, Limit limit) {
        return new Subject("net:" + cidr, null, limit);
    }

    static Subject address(String address, Limit limit) {
        return new Subject("addr:" + address, null, limit);
    }

    /** For logs: "user 'alice'", "network 10.0.0.0/8", "client 192.0.2.7". */
    public String describe() {
        if (user != null) {
            return "user '" + dev.ferryproxy.logging.LogText.escape(user) + "'";
        }
        return key.startsWith("net:") ? "network " + key.substring(4) : "client " + key.substring(5);
    }
}
