package dev.ferryproxy.app;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code ferry health [--url URL]}: asks a running Ferry's admin listener whether it is ready,
 * exits 0 on HTTP 200 and 1 otherwise. It is the image's Docker {@code HEALTHCHECK}, which has no
 * curl to call.
 */
@Command(name = "health",
        mixinStandardHelpOptions = true,
        versionProvider = FerryVersion.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Asks a running Ferry's admin listener (--admin) whether it is ready: GET URL.",
            "Exits 0 when the answer is 200, and 1 with a one-line reason otherwise (another status, no"
                    + " answer in time, nothing listening). Meant for container health checks."
        })
final class HealthCommand implements Callable<Integer> {
    static final String DEFAULT_URL = "http://127.0.0.1:9090/health/ready";

    @Spec
    private CommandSpec spec;

    @Option(names = "--url", paramLabel = "URL", defaultValue = DEFAULT_URL,
            description = "The endpoint to ask (default: ${DEFAULT-VALUE}); /health/live asks only whether the"
                    + " process runs.")
    private String url;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "3s",
            converter = FerryCommand.DurationConverter.class,
            description = "Most time to connect and get the answer (default: ${DEFAULT-VALUE}).")
    private Duration timeout;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        URI uri;
        try {
            uri = URI.create(url);
            if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("not an http:// URL with a host");
            }
        } catch (IllegalArgumentException e) {
            err.println("ferry health: invalid --url '" + url + "': " + e.getMessage());
            err.flush();
            return 2;
        }
        HttpClient client = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
        try {
            HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() == 200) {
                out.println("ferry health: " + uri + ": 200 OK");
                out.flush();
                return 0;
            }
            err.println("ferry health: " + uri + ": HTTP " + response.statusCode()
                    + (response.statusCode() == 503 ? " (not ready: a listener is down, or draining or stopping)" : ""));
        } catch (HttpTimeoutException e) {
            err.println("ferry health: " + uri + ": no answer within " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            err.println("ferry health: " + uri + ": " + reason(e));
        }
        err.flush();
        return 1;
    }

    private static String reason(IOException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.net.ConnectException) {
                return "cannot connect (nothing listening, or the connection was refused)";
            }
        }
        Throwable cause = e;
        while (cause.getCause() != null && (cause.getMessage() == null || cause.getMessage().isEmpty())) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null || message.isEmpty() ? "" : ": " + message);
    }
}
