package dev.ferryproxy.app;

import dev.ferryproxy.auth.Credential;
import dev.ferryproxy.auth.PlainCredential;
import dev.ferryproxy.auth.UserDirectory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The users given in clear at start, for quick starts: {@code --user NAME:PASSWORD} (repeatable)
 * and the environment variable {@code FERRY_USERS}. They are read once; a reload keeps them.
 */
final class CommandLineUsers {
    static final String ENVIRONMENT_VARIABLE = "FERRY_USERS";

    private CommandLineUsers() {
    }

    /**
     * Parses {@code FERRY_USERS}: {@code NAME:PASSWORD} entries separated by commas or newlines;
     * spaces around an entry and empty entries are ignored.
     *
     * @param value the variable's value, null when it is not set
     * @throws IllegalArgumentException naming the entry (by number, never by password) and what is wrong
     */
    static List<UserPassword> parseEnvironment(String value) {
        List<UserPassword> users = new ArrayList<>();
        if (value == null) {
            return users;
        }
        String[] entries = value.split("[,\\r\\n]");
        int number = 0;
        for (String entry : entries) {
            String trimmed = entry.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            number++;
            try {
                users.add(UserPassword.parse(trimmed));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(ENVIRONMENT_VARIABLE + ": entry " + number + ": " + e.getMessage());
            }
        }
        return users;
    }

    /**
     * The users of {@code FERRY_USERS} and of {@code --user}; a name in both takes the password of
     * {@code --user}.
     *
     * @throws IllegalArgumentException when one source names a user twice
     */
    static UserDirectory directory(List<UserPassword> fromEnvironment, List<UserPassword> fromOptions) {
        return directory(fromEnvironment, ENVIRONMENT_VARIABLE).with(directory(fromOptions, "--user"));
    }

    private static UserDirectory directory(List<UserPassword> users, String source) {
        Map<String, Credential> credentials = new LinkedHashMap<>();
        for (UserPassword user : users) {
            if (credentials.put(user.name(), new PlainCredential(user.password())) != null) {
                throw new IllegalArgumentException(source + ": user '" + user.name() + "' is given twice");
            }
        }
        return UserDirectory.of(credentials);
    }
}
