package dev.ferryproxy.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real {@code ferry} program in its own process, as an operator runs it: started from the
 * shaded jar (or the ./ferry launcher), its output collected line by line.
 */
final class FerryProcess implements AutoCloseable {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final Process process;
    private final List<String> stdout = new CopyOnWriteArrayList<>();
    private final List<String> stderr = new CopyOnWriteArrayList<>();
    /** Reads stdout into {@link #stdout} line by line; null when the test reads the raw stream itself. */
    private final Thread stdoutReader;
    private final Thread stderrReader;

    private FerryProcess(List<String> command, Map<String, String> environment, byte[] stdin) throws IOException {
        this(command, environment, stdin, false);
    }

    /**
     * @param rawStreams whether the test writes standard input and reads standard output itself
     *     ({@link #stdin()}, {@link #stdoutStream()}) instead of giving bytes up front and lines after
     */
    private FerryProcess(List<String> command, Map<String, String> environment, byte[] stdin, boolean rawStreams)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command);
        // FERRY_USERS of the machine running the tests must not leak into the program under test
        builder.environment().remove("FERRY_USERS");
        builder.environment().putAll(environment);
        if (stdin == null && !rawStreams) {
            builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        this.process = builder.start();
        if (stdin != null) {
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin);
            }
        }
        this.stdoutReader = rawStreams ? null : collect(process.getInputStream(), stdout, "ferry-stdout");
        this.stderrReader = collect(process.getErrorStream(), stderr, "ferry-stderr");
    }

    /** {@code java -jar ferry.jar ARGS}. */
    static FerryProcess startJar(String... args) throws IOException {
        return jarCommand(args).start();
    }

    /** {@code java -jar ferry.jar ARGS}, to be given an environment or standard input before it starts. */
    static Launch jarCommand(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(jar().toString());
        command.addAll(List.of(args));
        return new Launch(command);
    }

    /** A command not started yet: environment variables and standard input can be added. */
    static final class Launch {
        private final List<String> command;
        private final Map<String, String> environment = new HashMap<>();
        private byte[] stdin;
        private boolean rawStreams;

        private Launch(List<String> command) {
            this.command = command;
        }

        Launch env(String name, String value) {
            environment.put(name, value);
            return this;
        }

        /** Standard input: these bytes, then end of input (default: /dev/null). */
        Launch stdin(String text) {
            this.stdin = text.getBytes(StandardCharsets.UTF_8);
            return this;
        }

        /**
         * The test itself writes standard input ({@link FerryProcess#stdin()}) and reads standard
         * output as bytes ({@link FerryProcess#stdoutStream()}); standard error is still collected.
         */
        Launch rawStreams() {
            this.rawStreams = true;
            return this;
        }

        FerryProcess start() throws IOException {
            return new FerryProcess(command, environment, stdin, rawStreams);
        }
    }

    /** {@code ./ferry ARGS} from the repository root. */
    static FerryProcess startLauncher(String... args) throws IOException {
        return launcherCommand(args).start();
    }

    /** {@code ./ferry ARGS}, to be given an environment before it starts. */
    static Launch launcherCommand(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("ferry.launcher", "../ferry")).toAbsolutePath().normalize().toString());
        command.addAll(List.of(args));
        return new Launch(command);
    }

    static Path jar() {
        Path jar = Path.of(System.getProperty("ferry.jar", "target/ferry.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run the *IT tests with mvn verify, after package");
        }
        return jar;
    }

    private static Thread collect(InputStream stream, List<String> lines, String name) {
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                    synchronized (lines) {
                        lines.notifyAll();
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }, name);
        reader.setDaemon(true);
        reader.start();
        return reader;
    }

    /** Waits for a stdout line matching {@code regex}; returns its match. */
    Matcher awaitStdout(String regex) throws InterruptedException {
        return awaitStdout(regex, 0);
    }

    /** The number of stdout lines so far: pass it to {@link #awaitStdout(String, int)} to wait for a later line. */
    int stdoutLineCount() {
        return stdout.size();
    }

    /** Waits for a stdout line matching {@code regex}, looking only from line {@code fromLine} (0-based) on. */
    Matcher awaitStdout(String regex, int fromLine) throws InterruptedException {
        if (stdoutReader == null) {
            throw new IllegalStateException("the test reads standard output itself (rawStreams)");
        }
        return awaitLine("stdout", stdout, stdoutReader, regex, fromLine);
    }

    /** Waits for a stderr line matching {@code regex}; returns its match. */
    Matcher awaitStderr(String regex) throws InterruptedException {
        return awaitLine("stderr", stderr, stderrReader, regex, 0);
    }

    private Matcher awaitLine(String name, List<String> lines, Thread reader, String regex, int fromLine)
            throws InterruptedException {
        Pattern pattern = Pattern.compile(regex);
        long deadline = System.nanoTime() + WAIT.toNanos();
        synchronized (lines) {
            while (true) {
                // A snapshot: the reader thread appends without this lock, and a CopyOnWriteArrayList's
                // subList fails when the list changes under it.
                List<String> seen = List.copyOf(lines);
                for (String line : seen.subList(Math.min(fromLine, seen.size()), seen.size())) {
                    Matcher m = pattern.matcher(line);
                    if (m.find()) {
                        return m;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || !process.isAlive() && !reader.isAlive()) {
                    throw new AssertionError("no " + name + " line matching /" + regex + "/ ; stdout: " + stdout
                            + " stderr: " + stderr);
                }
                lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    /** Standard input, to write to and close (rawStreams only). */
    OutputStream stdin() {
        return process.getOutputStream();
    }

    /** Standard output as bytes (rawStreams only). */
    InputStream stdoutStream() {
        if (stdoutReader != null) {
            throw new IllegalStateException("standard output is collected as lines; launch with rawStreams()");
        }
        return process.getInputStream();
    }

    /** Waits for the process to end (bounded) and for its output to be read; returns the exit code. */
    int awaitExit() throws InterruptedException {
        if (!process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("ferry did not exit; stdout: " + stdout + " stderr: " + stderr);
        }
        if (stdoutReader != null) {
            stdoutReader.join(WAIT.toMillis());
        }
        stderrReader.join(WAIT.toMillis());
        return process.exitValue();
    }

    /**
     * Sends SIGTERM, as a container runtime or systemd does. Not {@link Process#destroy()}: that
     * also closes our end of the pipes, and the last lines the server logs would be lost.
     */
    void terminate() throws IOException, InterruptedException {
        signal("TERM");
    }

    /** Sends SIGINT, as Ctrl-C in a terminal does. */
    void interrupt() throws IOException, InterruptedException {
        signal("INT");
    }

    /** Sends SIGHUP, as {@code systemctl reload} or an operator's {@code kill -HUP} does. */
    void hangUp() throws IOException, InterruptedException {
        signal("HUP");
    }

    /** Sends SIGKILL, as the kernel's OOM killer or a node failure does, and waits until the process is gone. */
    void kill() throws IOException, InterruptedException {
        signal("KILL");
        process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + name + " " + process.pid() + " failed");
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String stdout() {
        return String.join("\n", stdout);
    }

    String stderr() {
        return String.join("\n", stderr);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }
}
