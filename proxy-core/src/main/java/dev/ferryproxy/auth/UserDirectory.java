package dev.ferryproxy.auth;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The users who may log in, by name (exact, case-sensitive), each with a credential. Immutable. */
public final class UserDirectory {
    private static final UserDirectory EMPTY = new UserDirectory(Map.of());

    private final Map<String, Credential> users;

    private UserDirectory(Map<String, Credential> users) {
        this.users = users;
    }

    public static UserDirectory empty() {
        return EMPTY;
    }

    public static UserDirectory of(Map<String, ? extends Credential> users) {
        return new UserDirectory(Collections.unmodifiableMap(new LinkedHashMap<>(users)));
    }

    public Optional<Credential> find(String name) {
        return Optional.ofNullable(users.get(name));
    }

    public boolean isEmpty() {
        return users.isEmpty();
    }

    public Set<String> names() {
        return users.keySet();
    }

    /** This directory with {@code other}'s users added; a user in both takes {@code other}'s credential. */
    public UserDirectory with(UserDirectory other) {
        if (other.isEmpty()) {
            return this;
        }
        Map<String, Credential> merged = new LinkedHashMap<>(users);
        merged.putAll(other.users);
        return of(merged);
    }
}
