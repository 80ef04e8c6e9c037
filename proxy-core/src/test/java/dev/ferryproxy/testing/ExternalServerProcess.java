package dev.ferryproxy.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An independent server run as a child process on loopback for the duration of a test class:
 * started from a command line, waited for until its port accepts, stopped by destroying the
 * process it started. Its standard output and error go to a log file in its own temporary
 * directory, which the failure messages quote.
 */
final class ExternalServerProcess implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

    private final String name;
    private final Process process;
    private final Path directory;
    private final Path log;
    private final InetSocketAddress address;

    private ExternalServerProcess(String name, Process process, Path directory, Path log, InetSocketAddress address) {
        this.name = name;
        this.process = process;
        this.directory = directory;
        this.log = log;
        this.address = address;
    }

    /**
     * Runs {@code command} with its output going to {@code directory/NAME.log}, and waits until
     * {@code address} accepts a connection (polling, with a deadline).
     *
     * @throws IOException when the process ends before its port accepts, or the deadline passes
     */
    static ExternalServerProcess start(String name, List<String> command, Path directory, InetSocketAddress address)
            throws IOException {
        Path log = directory.resolve(name + ".log");
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        ExternalServerProcess server = new ExternalServerProcess(name, process, directory, log, address);
        try {
            server.awaitAccepting();
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void awaitAccepting() throws IOException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException(name + " exited with status " + process.exitValue() + " before accepting on "
                        + address + "; its log:\n" + logText());
            }
            try (Socket probe = new Socket()) {
                probe.connect(address, 200);
                return;
            } catch (IOException e) {
                last = e;
            }
            // Poll again: the connect attempt itself paced the loop (refused at once, or its timeout).
            try {
                process.waitFor(20, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + name, e);
            }
        }
        throw new IOException(name + " did not accept on " + address + " within " + START_TIMEOUT
                + " (last attempt: " + last + "); its log:\n" + logText());
    }

    InetSocketAddress address() {
        return address;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** What the process has written so far. */
    String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Stops the process (SIGTERM, then SIGKILL after 5 s) and deletes its directory. */
    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        deleteRecursively(directory);
    }

    static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** Fails with an installation hint when {@code binary} is not there. */
    static void requireBinary(Path binary, String debianPackage) {
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException(binary + " not found: install the Debian package " + debianPackage
                    + " (apt-get install " + debianPackage + "; .ci/run installs it in CI)");
        }
    }
}
