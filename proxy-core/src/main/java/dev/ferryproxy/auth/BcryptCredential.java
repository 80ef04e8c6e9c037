package dev.ferryproxy.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.IllegalBCryptFormatException;

import java.nio.charset.StandardCharsets;

/** A bcrypt hash ({@code $2a$}, {@code $2b$} or {@code $2y$}), as {@code htpasswd -B} and {@code ferry passwd} write them. */
public final class BcryptCredential implements Credential {
    private final BCrypt.HashData hash;

    private BcryptCredential(BCrypt.HashData hash) {
        this.hash = hash;
    }

    /**
     * Parses a hash once, so that each login only verifies.
     *
     * @throws IllegalArgumentException when {@code hash} is not a bcrypt hash (the message says why)
     */
    public static BcryptCredential parse(String hash) {
        try {
            // The default parser reads every version prefix; which one it was is kept in the HashData.
            return new BcryptCredential(BCrypt.Version.VERSION_2Y.parser.parse(hash.getBytes(StandardCharsets.US_ASCII)));
        } catch (IllegalBCryptFormatException e) {
            throw new IllegalArgumentException("not a bcrypt hash: " + e.getMessage());
        }
    }

    @Override
    public boolean matches(byte[] password) {
        // bcrypt's verification compares the derived hashes in constant time.
        return BCrypt.verifyer(hash.version).verify(password, hash).verified;
    }
}
