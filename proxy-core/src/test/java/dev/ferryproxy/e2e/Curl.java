package dev.ferryproxy.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/** Runs /usr/bin/curl through a proxy as a child process, bounded in time, and collects what it printed. */
final class Curl {
    static final Path EXECUTABLE = Path.of("/usr/bin/curl");
    private static final Duration PROCESS_TIMEOUT = Duration.ofSeconds(30);

    private Curl() {
    }

    /**
     * {@code curl <proxyOption> <proxy> <url>}, e.g. {@code --socks5-hostname 127.0.0.1:1080}.
     * Proxy variables from the environment and ~/.curlrc are ignored.
     */
    static Result fetch(String proxyOption, String proxy, String url) throws IOException, InterruptedException {
        return fetch(List.of(proxyOption, proxy), url);
    }

    /**
     * {@code curl <proxyOptions...> <url>}, for proxy settings that take more than one option,
     * e.g. {@code --socks5-hostname 127.0.0.1:1080 -U alice:secret}.
     */
    static Result fetch(List<String> proxyOptions, String url) throws IOException, InterruptedException {
        if (!Files.isExecutable(EXECUTABLE)) {
            throw new AssertionError("curl not found at " + EXECUTABLE + " (the CI image installs it)");
        }
        List<String> command = new ArrayList<>(List.of(EXECUTABLE.toString(), "-q", "--silent", "--show-error",
                "--fail", "--connect-timeout", "5", "--max-time", "20"));
        command.addAll(proxyOptions);
        command.add(url);
        Path stdout = Files.createTempFile("ferry-curl", ".out");
        Path stderr = Files.createTempFile("ferry-curl", ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile());
            builder.environment().keySet().removeIf(name -> name.toLowerCase(Locale.ROOT).endsWith("_proxy"));
            Process process = builder.start();
            if (!process.waitFor(PROCESS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                throw new AssertionError("curl did not finish within " + PROCESS_TIMEOUT + ": " + command);
            }
            return new Result(process.exitValue(), Files.readAllBytes(stdout),
                    Files.readString(stderr, StandardCharsets.UTF_8), command);
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }

    /** What one curl run produced. */
    record Result(int exitCode, byte[] body, String stderr, List<String> command) {
        @Override
        public String toString() {
            return String.join(" ", command) + " -> exit " + exitCode + ", " + body.length + " body bytes, stderr: "
                    + stderr.strip();
        }
    }
}
