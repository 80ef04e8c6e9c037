package dev.ferryproxy.codec.v5;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An RFC 1929 username/password request. Both fields are opaque bytes (1..255 of them): they are
 * compared as bytes, never through a lossy charset decoding.
 */
public final class Socks5PasswordAuthRequest {
    public static final int MAX_FIELD_LENGTH = 255;

    private final byte[] username;
    private final byte[] password;

    public Socks5PasswordAuthRequest(byte[] username, byte[] password) {
        this(username, password, true);
    }

    private Socks5PasswordAuthRequest(byte[] username, byte[] password, boolean copy) {
        checkField("username", username);
        checkField("password", password);
        this.username = copy ? username.clone() : username;
        this.password = copy ? password.clone() : password;
    }

    /** For the decoder: takes over arrays that nobody else holds, without the defensive copies. */
    static Socks5PasswordAuthRequest ofOwned(byte[] username, byte[] password) {
        return new Socks5PasswordAuthRequest(username, password, false);
    }

    private static byte[] checkField(String name, byte[] value) {
        if (value.length == 0 || value.length > MAX_FIELD_LENGTH) {
            throw new IllegalArgumentException(name + ": " + value.length + " bytes (expected: 1-" + MAX_FIELD_LENGTH + ")");
        }
        return value;
    }

    /** A copy of the username bytes. */
    public byte[] username() {
        return username.clone();
    }

    /** A copy of the password bytes. */
    public byte[] password() {
        return password.clone();
    }

    /** The username decoded as UTF-8, for logs and lookups by name. */
    public String usernameString() {
        return new String(username, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Socks5PasswordAuthRequest
                && Arrays.equals(username, ((Socks5PasswordAuthRequest) o).username)
                && Arrays.equals(password, ((Socks5PasswordAuthRequest) o).password);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(username) * 31 + Arrays.hashCode(password);
    }

    /** Never shows the password. */
    @Override
    public String toString() {
        return "Socks5PasswordAuthRequest[username=" + usernameString() + ", password=<" + password.length + " bytes>]";
    }
}
