package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** curl as a SOCKS client, run as its own process. */
final class Curl {
    /** curl's exit code and everything it printed. */
    record Result(int exitCode, String output) {
    }

    private Curl() {
    }

    /** Runs {@code curl -sS --max-time 20 ARGS}; fails the test if curl does not finish. */
    static Result run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20"));
        command.addAll(List.of(args));
        Process curl = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output;
        try (InputStream in = curl.getInputStream()) {
            output = in.readAllBytes();
        }
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).as("curl finished").isTrue();
        return new Result(curl.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    /** Fetches {@code url} through the SOCKS5 proxy (names resolved by the proxy) as {@code user:password}. */
    static Result socks5(String proxy, String userAndPassword, String url) throws IOException, InterruptedException {
        return userAndPassword == null
                ? run("--socks5-hostname", proxy, url)
                : run("--socks5-hostname", proxy, "--proxy-user", userAndPassword, url);
    }
}
