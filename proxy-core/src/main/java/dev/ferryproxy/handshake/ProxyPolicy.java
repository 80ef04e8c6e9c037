package dev.ferryproxy.handshake;

import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.connect.Upstream;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.EgressGuard;
import dev.ferryproxy.policy.Rule;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Who may use the proxy and where they may go: the part of the configuration that a reload
 * swaps as a whole, while connections keep flowing.
 *
 * @param rules the access rules; empty for {@link AccessRules#safeDefaults()}
 * @param users the users who may log in with a password
 * @param passwordRequired whether SOCKS5 clients must log in (and SOCKS4 clients, which cannot,
 *     are refused unless a rule explicitly allows SOCKS4 for them)
 * @param upstreams the parent proxy routes, by name, that rules name with {@code via}
 */
public record ProxyPolicy(AccessRules rules, UserDirectory users, boolean passwordRequired,
        Map<String, Upstream> upstreams) {
    public ProxyPolicy {
        Objects.requireNonNull(rules, "rules");
        Objects.requireNonNull(users, "users");
        upstreams = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(upstreams, "upstreams")));
        if (passwordRequired && users.isEmpty()) {
            throw new IllegalArgumentException("passwords are required but no user is configured");
        }
        for (Map.Entry<String, Upstream> entry : upstreams.entrySet()) {
            if (!entry.getKey().equals(entry.getValue().name())) {
                throw new IllegalArgumentException("upstream '" + entry.getValue().name() + "' is filed under '"
                        + entry.getKey() + "'");
            }
        }
        for (Rule rule : rules.rules()) {
            if (rule.via() != null && !upstreams.containsKey(rule.via())) {
                throw new IllegalArgumentException(rule.name() + ": via '" + rule.via()
                        + "' names no upstream (defined: " + (upstreams.isEmpty() ? "none" : upstreams.keySet()) + ")");
            }
        }
    }

    /** A policy that sends everything directly, through no upstream. */
    public ProxyPolicy(AccessRules rules, UserDirectory users, boolean passwordRequired) {
        this(rules, users, passwordRequired, Map.of());
    }

    /** No users, no password, the safe default rules. */
    public static ProxyPolicy open() {
        return new ProxyPolicy(new AccessRules(java.util.List.of()), UserDirectory.empty(), false);
    }

    /**
     * The rules that decide: the configured ones, or the safe defaults when none are configured;
     * either way with the rules' {@link EgressGuard} behind them.
     */
    public AccessRules effectiveRules() {
        return rules.orSafeDefaults();
    }

    /** This policy with {@code guard} behind its rules (the server adds the host's own addresses). */
    public ProxyPolicy withEgressGuard(EgressGuard guard) {
        return guard == rules.guard() ? this : new ProxyPolicy(rules.withGuard(guard), users, passwordRequired, upstreams);
    }
}
