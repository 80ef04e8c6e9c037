package dev.ferryproxy.app;


import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The access log's destination ({@code --access-log stdout|off|PATH}, {@code accessLog:}): standard
 * output or a file appended to, one JSON line per entry ({@link AccessLogJson}), written in batches
 * by an {@link AccessLogWriter} (never blocking an event loop: when its queue is full, lines are
 * dropped and counted). Not a logger, so {@code --log-level} does not silence it.
 */
public final class AccessLog {
    public static final AccessLog STDOUT = new AccessLog(null, false);
    public static final AccessLog OFF = new AccessLog(null, true);

    private final Path file;
    private final boolean off;

    private AccessLog(Path file, boolean off) {
        this.file = file;
        this.off = off;
    }

    public static AccessLog file(Path path) {
        return new AccessLog(Objects.requireNonNull(path, "path"), false);
    }

    /** {@code stdout}, {@code off}, or a file's path. */
    public static AccessLog parse(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("an empty access log destination (expected: stdout, off or a file's path)");
        }
        switch (text) {
            case "stdout":
                return STDOUT;
            case "off":
                return OFF;
            default:
                return file(Path.of(text));
        }
    }

    public boolean isOff() {
        return off;
    }

    /** The file written to; null for standard output or off. */
    public Path path() {
        return file;
    }

    /**
     * Opens the destination and starts its writer; null when off. Close the writer at the end: it
     * writes what is still queued.
     *
     * @throws IllegalStateException when the file cannot be opened for appending (the message says why)
     */
    AccessLogWriter start() {
        if (off) {
            return null;
        }
        if (file == null) {
            // Through System.out, not its file descriptor: the server's log lines go there too
            // (Logback's console appender), and System.out's lock keeps a batch and a log line from
            // interleaving (a pipe makes only writes of up to 4 KiB atomic).
            return new AccessLogWriter(new CheckedPrintStream(System.out), false, "standard output");
        }
        try {
            return new AccessLogWriter(new FileOutputStream(file.toFile(), true), true, file.toString());
        } catch (FileNotFoundException e) {
            // The JDK's message names the file and the reason ("(Permission denied)", "(Is a directory)").
            throw new IllegalStateException("cannot write the access log to " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return off ? "off" : file == null ? "stdout" : file.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AccessLog other && off == other.off && Objects.equals(file, other.file);
    }

    @Override
    public int hashCode() {
        return Objects.hash(file, off);
    }

    /** A PrintStream that reports its errors, which PrintStream only records, as IOExceptions. */
    private static final class CheckedPrintStream extends OutputStream {
        private final PrintStream out;

        CheckedPrintStream(PrintStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            check();
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            out.write(bytes, offset, length);
            check();
        }

        @Override
        public void flush() throws IOException {
            check();
        }

        /** checkError flushes, and its flag stays set once set: after a failure every batch is lost. */
        private void check() throws IOException {
            if (out.checkError()) {
                throw new IOException("standard output is closed or failed");
            }
        }
    }
}
