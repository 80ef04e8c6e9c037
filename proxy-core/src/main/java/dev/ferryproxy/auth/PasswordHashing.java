package dev.ferryproxy.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;

import java.nio.charset.StandardCharsets;

/** Makes the bcrypt hashes of the users file. */
public final class PasswordHashing {
    /** bcrypt's cost: about 50 ms per check on a current core, so guessing is slow and logins are not. */
    public static final int COST = 10;

    private PasswordHashing() {
    }

    /** A {@code $2y$} hash of {@code password} with a fresh random salt. */
    public static String hash(byte[] password) {
        return new String(BCrypt.with(BCrypt.Version.VERSION_2Y).hash(COST, password), StandardCharsets.US_ASCII);
    }
}
