package dev.ferryproxy.auth;

import java.nio.file.Path;

/** A users file that cannot be used: names the file, the line (0 for the whole file) and what is wrong. */
public final class UsersFileException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient Path path;
    private final int line;

    public UsersFileException(Path path, int line, String problem) {
        super(path + (line > 0 ? ":" + line : "") + ": " + problem);
        this.path = path;
        this.line = line;
    }

    public Path path() {
        return path;
    }

    /** The 1-based line, or 0 when the problem is the whole file. */
    public int line() {
        return line;
    }
}
