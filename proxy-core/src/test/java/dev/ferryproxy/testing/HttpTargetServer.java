package dev.ferryproxy.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An HTTP/1.1 server (the JDK's com.sun.net.httpserver) on a loopback address and an ephemeral
 * port that answers {@code GET} {@link #PATH} with a fixed body, the same for every request.
 */
public final class HttpTargetServer implements AutoCloseable {
    /** The path that serves the body; any other path is 404. */
    public static final String PATH = "/ferry-e2e";

    private final HttpServer server;
    private final ExecutorService executor;
    private final byte[] body;

    private HttpTargetServer(HttpServer server, ExecutorService executor, byte[] body) {
        this.server = server;
        this.executor = executor;
        this.body = body;
    }

    /** Serves {@code body} on {@code address} (127.0.0.1 or ::1). */
    public static HttpTargetServer start(InetAddress address, byte[] body) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(address, 0), 16);
        ExecutorService executor = Executors.newFixedThreadPool(2, task -> {
            Thread thread = new Thread(task, "http-target");
            thread.setDaemon(true);
            return thread;
        });
        byte[] copy = body.clone();
        server.createContext(PATH, exchange -> serve(exchange, copy));
        server.setExecutor(executor);
        server.start();
        return new HttpTargetServer(server, executor, copy);
    }

    private static void serve(HttpExchange exchange, byte[] body) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            if (!"GET".equals(exchange.getRequestMethod()) || !PATH.equals(exchange.getRequestURI().getPath())) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The body every request gets. */
    public byte[] body() {
        return body.clone();
    }

    /** {@code http://host:port/ferry-e2e} for a host as it goes in a URL ({@code 127.0.0.1}, {@code [::1]}, a name). */
    public String url(String urlHost) {
        return "http://" + urlHost + ":" + port() + PATH;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
