package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The podman command line, as the container tests use it on machines without a Docker engine.
 * Unless CONTAINERS_CONF is set already, podman reads docker/test/containers.conf: the settings
 * verified on this machine kind (runc, cgroupfs, no ulimits or pids limit of its own).
 */
final class Podman {
    /** podman's exit code and what it printed (standard output and error apart). */
    record Result(int exitCode, String stdout, String stderr) {
        String both() {
            return stdout + (stderr.isEmpty() ? "" : "\n" + stderr);
        }
    }

    private final Path executable;
    private final Path root;

    private Podman(Path executable, Path root) {
        this.executable = executable;
        this.root = root;
    }

    /** podman on PATH that answers {@code podman info}, or empty (with the reason on standard error). */
    static Optional<Podman> find(Path root) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "podman");
            if (Files.isExecutable(candidate)) {
                Podman podman = new Podman(candidate, root);
                try {
                    Result info = podman.run(Duration.ofSeconds(60), "info", "--format", "{{.Host.OCIRuntime.Name}}");
                    if (info.exitCode() == 0) {
                        return Optional.of(podman);
                    }
                    System.err.println("podman info failed: " + info.both());
                } catch (IOException e) {
                    System.err.println("podman info failed: " + e);
                }
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    Path root() {
        return root;
    }

    /** The environment every podman command here runs with (also for `podman system service`). */
    void configure(Map<String, String> environment) {
        environment.putIfAbsent("CONTAINERS_CONF", root.resolve("docker/test/containers.conf").toString());
    }

    List<String> command(String... args) {
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        command.addAll(List.of(args));
        return command;
    }

    /** Runs podman with {@code args}; fails the test if it has not finished within {@code timeout}. */
    Result run(Duration timeout, String... args) throws IOException {
        return run(timeout, command(args));
    }

    /** Runs {@code command} (podman or a script that calls it) in podman's environment. */
    Result run(Duration timeout, List<String> command) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        configure(builder.environment());
        Path out = Files.createTempFile("podman-out", ".txt");
        Path err = Files.createTempFile("podman-err", ".txt");
        try {
            Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError(command + " did not finish within " + timeout);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted: " + command, e);
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8).strip(),
                    Files.readString(err, StandardCharsets.UTF_8).strip());
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Runs podman with {@code args}, fails the test unless it exits 0, returns its standard output. */
    String ok(Duration timeout, String... args) throws IOException {
        Result result = run(timeout, args);
        assertThat(result.exitCode()).as("podman %s: %s", String.join(" ", args), result.both()).isZero();
        return result.stdout();
    }

    /** Removes the container {@code name} if it exists (and stops it first). */
    void remove(String name) throws IOException {
        run(Duration.ofSeconds(60), "rm", "--force", "--time", "2", name);
    }
}
