package dev.ferryproxy.auth;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/** The users who may log in, by name (exact, case-sensitive), each with a credential. Immutable. */
public final class UserDirectory {
    private static final UserDirectory EMPTY = new UserDirectory(Map.of());

    /**
     * Mixes names into the choice of a decoy; per JVM, so that no one can pick names for a cheap
     * decoy. (SplittableRandom seeds itself without reading a file, whichever thread loads this.)
     */
    private static final int DECOY_SEED = new SplittableRandom().nextInt();

    private final Map<String, Credential> users;
    /** The users' credentials in order, for {@link #decoyFor}. */
    private final List<Credential> credentials;

    private UserDirectory(Map<String, Credential> users) {
        this.users = users;
        this.credentials = List.copyOf(users.values());
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

    /**
     * The credential an unknown {@code name} is checked against, so that checking it costs what
     * checking a known name costs, whatever the users' hashes are: bcrypt of any cost, or a clear
     * password's digest (command line, environment). It is one of the users' own, always the same
     * for the same name. Its answer is thrown away: an unknown name never logs in. Empty when there
     * are no users.
     */
    public Optional<Credential> decoyFor(String name) {
        if (credentials.isEmpty()) {
            return Optional.empty();
        }
        int mixed = (name.hashCode() ^ DECOY_SEED) * 0x9E3779B9;
        return Optional.of(credentials.get(Math.floorMod(mixed ^ (mixed >>> 16), credentials.size())));
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
