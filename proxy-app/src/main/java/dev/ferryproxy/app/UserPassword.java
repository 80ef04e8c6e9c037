package dev.ferryproxy.app;

import dev.ferryproxy.app.config.UserNames;

import java.nio.charset.StandardCharsets;

/**
 * A user with a clear password, as {@code --user NAME:PASSWORD} or {@code FERRY_USERS} give it.
 * {@link #toString()} never shows the password.
 */
final class UserPassword {
    /** RFC 1929 carries the password's length in one byte. */
    static final int MAX_PASSWORD_BYTES = 255;

    private final String name;
    private final byte[] password;

    private UserPassword(String name, byte[] password) {
        this.name = name;
        this.password = password;
    }

    /**
     * Parses {@code NAME:PASSWORD}, split at the first colon (so the password may hold colons).
     *
     * @throws IllegalArgumentException saying what is wrong, without repeating the password
     */
    static UserPassword parse(String text) {
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("expected NAME:PASSWORD");
        }
        String name = text.substring(0, colon);
        String problem = UserNames.problem(name);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        byte[] password = text.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
        problem = passwordProblem(password);
        if (problem != null) {
            throw new IllegalArgumentException("user '" + name + "': " + problem);
        }
        return new UserPassword(name, password);
    }

    /** What is wrong with a password, or null when RFC 1929 can carry it. */
    static String passwordProblem(byte[] password) {
        if (password.length == 0) {
            return "the password is empty";
        }
        if (password.length > MAX_PASSWORD_BYTES) {
            return "the password is longer than " + MAX_PASSWORD_BYTES + " bytes (RFC 1929 cannot carry it)";
        }
        return null;
    }

    String name() {
        return name;
    }

    byte[] password() {
        return password.clone();
    }

    @Override
    public String toString() {
        return name + ":********";
    }
}
