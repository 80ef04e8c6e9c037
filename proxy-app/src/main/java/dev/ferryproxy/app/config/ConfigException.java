package dev.ferryproxy.app.config;

/**
 * A configuration file that cannot be used. The message names the file, the line and column
 * (1-based), the key and what is wrong, for example
 * {@code ferry.yaml:12:7: rules[2].clients[0]: '10.0.0.0/33': prefix length 33 is out of range (expected: 0-32)}.
 */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final int line;
    private final int column;
    private final String key;
    private final String problem;

    /**
     * @param file the file as the user named it
     * @param line the 1-based line, or 0 when the problem is the whole file
     * @param column the 1-based column, or 0 when unknown
     * @param key the key path ({@code rules[2].clients[0]}), or empty when the problem is no key's
     * @param problem what is wrong
     */
    public ConfigException(String file, int line, int column, String key, String problem) {
        super(format(file, line, column, key, problem));
        this.file = file;
        this.line = line;
        this.column = column;
        this.key = key;
        this.problem = problem;
    }

    /** A problem with the whole file, such as one that cannot be read. */
    public ConfigException(String file, String problem) {
        this(file, 0, 0, "", problem);
    }

    private static String format(String file, int line, int column, String key, String problem) {
        StringBuilder text = new StringBuilder(file);
        if (line > 0) {
            text.append(':').append(line);
            if (column > 0) {
                text.append(':').append(column);
            }
        }
        text.append(": ");
        if (!key.isEmpty()) {
            text.append(key).append(": ");
        }
        return text.append(problem).toString();
    }

    public String file() {
        return file;
    }

    /** The 1-based line, 0 when the problem is the whole file. */
    public int line() {
        return line;
    }

    /** The 1-based column, 0 when unknown. */
    public int column() {
        return column;
    }

    /** The key path, such as {@code rules[2].clients[0]}; empty when the problem is no key's. */
    public String key() {
        return key;
    }

    /** What is wrong, without the file, line and key. */
    public String problem() {
        return problem;
    }
}
