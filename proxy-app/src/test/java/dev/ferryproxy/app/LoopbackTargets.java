package dev.ferryproxy.app;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Targets on loopback for the proxy to reach: an HTTP server with a fixed body, and an echo server. */
final class LoopbackTargets implements AutoCloseable {
    static final String BODY = "ferry-it-body";

    private final HttpServer http;
    private final ServerSocket echo;
    private final Thread echoAcceptor;

    LoopbackTargets() throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        http.createContext("/", exchange -> {
            byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        http.start();
        echo = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        echoAcceptor = new Thread(this::acceptEchoClients, "echo-acceptor");
        echoAcceptor.setDaemon(true);
        echoAcceptor.start();
    }

    /** http://127.0.0.1:PORT/ */
    String httpUrl() {
        return "http://127.0.0.1:" + http.getAddress().getPort() + "/";
    }

    int httpPort() {
        return http.getAddress().getPort();
    }

    int echoPort() {
        return echo.getLocalPort();
    }

    private void acceptEchoClients() {
        while (!echo.isClosed()) {
            try {
                Socket client = echo.accept();
                Thread echoer = new Thread(() -> echo(client), "echo");
                echoer.setDaemon(true);
                echoer.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void echo(Socket client) {
        try (client; InputStream in = client.getInputStream(); OutputStream out = client.getOutputStream()) {
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) != -1) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    @Override
    public void close() throws IOException {
        http.stop(0);
        echo.close();
    }
}
