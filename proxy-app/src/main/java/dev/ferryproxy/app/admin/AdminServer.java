package dev.ferryproxy.app.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The admin listener: {@code /metrics} (Prometheus text, or OpenMetrics when the Accept header asks
 * for it), {@code /health/live} and {@code /health/ready}. It runs on the JDK's HTTP server with
 * two threads of its own, so a slow scraper never touches the proxy's event loops, and a busy
 * proxy still answers its health checks. Anything but GET is 405; any other path is 404.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    private static final String OPENMETRICS = "application/openmetrics-text";
    private static final String TEXT = "text/plain; charset=utf-8";
    /** The content types of Prometheus client 1.x's two text writers, which the registry picks by. */
    private static final String PROMETHEUS_TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String OPENMETRICS_FORMAT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private final HttpServer http;
    private final ExecutorService executor;
    private final PrometheusMeterRegistry registry;
    private final BooleanSupplier ready;

    private AdminServer(HttpServer http, ExecutorService executor, PrometheusMeterRegistry registry,
            BooleanSupplier ready) {
        this.http = http;
        this.executor = executor;
        this.registry = registry;
        this.ready = ready;
    }

    /**
     * Listens on {@code address} and serves until closed.
     *
     * @param ready whether the proxy should get traffic ({@code /health/ready} is 200 when true, else 503)
     * @throws IOException when the address cannot be bound
     */
    public static AdminServer start(InetSocketAddress address, PrometheusMeterRegistry registry, BooleanSupplier ready)
            throws IOException {
        HttpServer http = HttpServer.create(address, 16);
        AtomicInteger threads = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(2, task -> {
            Thread thread = new Thread(task, "ferry-admin-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        AdminServer server = new AdminServer(http, executor, registry, ready);
        http.setExecutor(executor);
        http.createContext("/", server::handle);
        http.start();
        return server;
    }

    /** The bound address, with the port the system chose for port 0. */
    public InetSocketAddress address() {
        return http.getAddress();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (!List.of("/metrics", "/health/live", "/health/ready").contains(path)) {
                send(exchange, 404, TEXT, "not found\n");
            } else if (!"GET".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().set("Allow", "GET");
                send(exchange, 405, TEXT, "method not allowed\n");
            } else if (path.equals("/metrics")) {
                metrics(exchange);
            } else if (path.equals("/health/live")) {
                send(exchange, 200, TEXT, "live\n");
            } else if (ready.getAsBoolean()) {
                send(exchange, 200, TEXT, "ready\n");
            } else {
                send(exchange, 503, TEXT, "not ready\n");
            }
        } catch (IOException | RuntimeException e) {
            log.debug("admin request failed: {}", e.toString());
            throw e;
        }
    }

    private void metrics(HttpExchange exchange) throws IOException {
        String accept = exchange.getRequestHeaders().getFirst("Accept");
        String contentType = accept != null && accept.contains(OPENMETRICS)
                ? OPENMETRICS_FORMAT
                : PROMETHEUS_TEXT_FORMAT;
        ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
        registry.scrape(body, contentType);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(200, body.size());
        try (OutputStream out = exchange.getResponseBody()) {
            body.writeTo(out);
        }
    }

    private static void send(HttpExchange exchange, int status, String contentType, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }
}
