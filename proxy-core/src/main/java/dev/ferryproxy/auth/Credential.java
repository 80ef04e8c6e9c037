package dev.ferryproxy.auth;

/** A user's stored secret. Checking may be slow (bcrypt): never call {@link #matches} on an event loop. */
public interface Credential {
    /** Whether {@code password} is this user's password, compared in constant time. */
    boolean matches(byte[] password);
}
