package dev.ferryproxy.auth;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A password given in clear (command line or environment, for quick starts). Only its SHA-256
 * digest is kept, and a login compares digests with {@link MessageDigest#isEqual}. That compare
 * takes constant time, and because digests have a fixed length it does not reveal the
 * password's length either.
 */
public final class PlainCredential implements Credential {
    private final byte[] digest;

    public PlainCredential(byte[] password) {
        if (password.length == 0) {
            throw new IllegalArgumentException("empty password");
        }
        this.digest = sha256(password);
    }

    @Override
    public boolean matches(byte[] password) {
        return MessageDigest.isEqual(digest, sha256(password));
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
