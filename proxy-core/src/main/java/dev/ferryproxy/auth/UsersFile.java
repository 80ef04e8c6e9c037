package dev.ferryproxy.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a users file: one {@code name:bcrypt-hash} line per user, as {@code ferry passwd} and
 * {@code htpasswd -B} write them. Blank lines and lines starting with {@code #} are skipped.
 */
public final class UsersFile {
    private UsersFile() {
    }

    /**
     * @throws UsersFileException naming the file, the line and what is wrong, when the file cannot
     *     be read, a line is not {@code name:hash}, a hash is not bcrypt, or a name appears twice
     */
    public static UserDirectory read(Path path) throws UsersFileException {
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UsersFileException(path, 0, "cannot read: " + describe(e));
        }
        Map<String, Credential> users = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            int lineNumber = i + 1;
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || colon == line.length() - 1) {
                throw new UsersFileException(path, lineNumber, "expected name:bcrypt-hash");
            }
            String name = line.substring(0, colon);
            if (name.getBytes(StandardCharsets.UTF_8).length > 255) {
                throw new UsersFileException(path, lineNumber, "user name longer than 255 bytes");
            }
            Credential credential;
            try {
                credential = BcryptCredential.parse(line.substring(colon + 1));
            } catch (IllegalArgumentException e) {
                throw new UsersFileException(path, lineNumber, "user '" + name + "': " + e.getMessage());
            }
            if (users.putIfAbsent(name, credential) != null) {
                throw new UsersFileException(path, lineNumber, "user '" + name + "' appears twice");
            }
        }
        return UserDirectory.of(users);
    }

    private static String describe(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
