package dev.ferryproxy.auth;

/** What became of a full password check ({@link PasswordAuthenticator#fullCheck}). */
public enum LoginCheck {
    /** The user exists and the password is theirs. */
    MATCH,
    /** The password was checked and is wrong, or the user does not exist: a failed login. */
    MISMATCH,
    /** Not checked: too many checks were waiting in all. Not a failed login. */
    BUSY,
    /** Not checked: too many checks of this client's address (or /64) were under way. Not a failed login. */
    SOURCE_BUSY,
    /** Not checked: the client had gone by the time its turn came. Not a failed login. */
    ABANDONED
}
