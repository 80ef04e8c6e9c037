package dev.ferryproxy.e2e;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A script in {@code src/test/node} run with Node.js as a child process, whose standard output
 * is read line by line as it comes. Its npm dependencies must have been installed there
 * ({@code npm ci --prefix proxy-core/src/test/node}); without them the test fails and says so.
 * Close it to end the process (forcibly, by its handle).
 */
final class NodeScript implements AutoCloseable {
    /** The npm project of the Node.js test clients, relative to the module (surefire's working directory). */
    static final Path DIRECTORY = Path.of("src", "test", "node").toAbsolutePath();
    private static final String END_OF_OUTPUT = "\u0000end of output";

    private final Process process;
    private final Path stderr;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();

    private NodeScript(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        Background.call("node-stdout", () -> {
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    lines.add(line);
                }
            } finally {
                lines.add(END_OF_OUTPUT);
            }
            return null;
        });
    }

    /**
     * Starts {@code node SCRIPT ARGS...} in {@link #DIRECTORY}.
     *
     * @throws AssertionError when the npm dependencies, or Node.js itself, are not installed
     */
    static NodeScript start(String script, String... args) throws IOException {
        Path module = DIRECTORY.resolve("node_modules").resolve("socks");
        if (!Files.isDirectory(module)) {
            throw new AssertionError("the npm dependencies of the Node.js test clients are not installed (" + module
                    + " is missing): run `npm ci --prefix proxy-core/src/test/node` from the repository root");
        }
        List<String> command = new ArrayList<>(List.of("node", script));
        command.addAll(List.of(args));
        Path stderr = Files.createTempFile("ferry-node", ".err");
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(DIRECTORY.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(stderr.toFile());
        builder.environment().keySet().removeIf(name -> name.toLowerCase(Locale.ROOT).endsWith("_proxy"));
        try {
            return new NodeScript(builder.start(), stderr);
        } catch (IOException e) {
            Files.deleteIfExists(stderr);
            throw new AssertionError("cannot run Node.js (`node` on the PATH): " + e.getMessage(), e);
        }
    }

    /**
     * The next line, which must start with {@code word} (and a space); waits up to {@code timeout}.
     * Returns the rest of the line. Fails with everything the script printed when another line
     * comes, the output ends, or nothing comes in time.
     */
    String expect(String word, Duration timeout) throws InterruptedException {
        String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (line == null || !line.startsWith(word + " ")) {
            throw new AssertionError("expected '" + word + " ...' from the Node.js script, got "
                    + (line == null ? "nothing within " + timeout : END_OF_OUTPUT.equals(line) ? "the end of its output"
                    : "'" + line + "'") + "; before it: " + seen + "; standard error: " + stderrText());
        }
        seen.add(line);
        return line.substring(word.length() + 1);
    }

    /** Waits up to {@code timeout} for the process to end, and returns its exit status. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the Node.js script did not exit within " + timeout + "; it printed " + seen);
        }
        return process.exitValue();
    }

    private String stderrText() {
        try {
            return Files.readString(stderr, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    @Override
    public void close() throws IOException {
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            Files.deleteIfExists(stderr);
        }
    }
}
