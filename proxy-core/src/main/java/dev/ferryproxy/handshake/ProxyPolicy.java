package dev.ferryproxy.handshake;

import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.policy.AccessRules;

import java.util.Objects;

/**
 * Who may use the proxy and where they may go: the part of the configuration that a reload
 * swaps as a whole, while connections keep flowing.
 *
 * @param rules the access rules; empty for {@link AccessRules#safeDefaults()}
 * @param users the users who may log in with a password
 * @param passwordRequired whether SOCKS5 clients must log in (and SOCKS4 clients, which cannot,
 *     are refused unless a rule explicitly allows SOCKS4 for them)
 */
public record ProxyPolicy(AccessRules rules, UserDirectory users, boolean passwordRequired) {
    public ProxyPolicy {
        Objects.requireNonNull(rules, "rules");
        Objects.requireNonNull(users, "users");
        if (passwordRequired && users.isEmpty()) {
            throw new IllegalArgumentException("passwords are required but no user is configured");
        }
    }

    /** No users, no password, the safe default rules. */
    public static ProxyPolicy open() {
        return new ProxyPolicy(new AccessRules(java.util.List.of()), UserDirectory.empty(), false);
    }

    /** The rules that decide: the configured ones, or the safe defaults when none are configured. */
    public AccessRules effectiveRules() {
        return rules.isEmpty() ? AccessRules.safeDefaults() : rules;
    }
}
