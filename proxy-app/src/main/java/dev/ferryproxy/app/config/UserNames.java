package dev.ferryproxy.app.config;

import java.nio.charset.StandardCharsets;

/** The rules a user name must follow to be usable in RFC 1929 and in a users file. */
public final class UserNames {
    /** RFC 1929 carries the name's length in one byte. */
    public static final int MAX_BYTES = 255;

    private UserNames() {
    }

    /** What is wrong with {@code name}, or null when it can be used. */
    public static String problem(String name) {
        if (name.isEmpty()) {
            return "the user name is empty";
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            return "the user name is longer than " + MAX_BYTES + " bytes (RFC 1929 cannot carry it)";
        }
        if (name.indexOf(':') >= 0) {
            return "a user name cannot contain ':' (it separates the name from the password)";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c)) {
                return "a user name cannot contain spaces or control characters";
            }
        }
        if (name.startsWith("#")) {
            return "a user name cannot start with '#' (a users file reads that line as a comment)";
        }
        return null;
    }
}
