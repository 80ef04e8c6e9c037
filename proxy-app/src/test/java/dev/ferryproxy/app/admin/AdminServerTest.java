package dev.ferryproxy.app.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.transport.Transport;
import dev.ferryproxy.transport.TransportKind;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Issue 13, finding 3: slow clients against the real admin listener on loopback. Two clients that
 * trickle their headers used to hang the JDK server's two threads, and with them the liveness
 * probe; now probes answer while any number of slow clients are connected, slow ones are closed at
 * the header deadline, and the caps hold.
 */
@Timeout(60)
class AdminServerTest {
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final String PROBE = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicBoolean ready = new AtomicBoolean(true);
    private final List<Socket> clients = new ArrayList<>();
    private AdminServer server;

    @AfterEach
    void stop() throws IOException {
        for (Socket client : clients) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private AdminServer start(AdminLimits limits) throws IOException {
        server = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), registry, ready::get,
                Transport.select(TransportKind.AUTO), limits);
        return server;
    }

    /** A client that has sent the start of a request and then nothing, as a slowloris does. */
    private Socket slowClient(String from) throws IOException {
        Socket socket = new Socket();
        clients.add(socket);
        socket.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
        socket.connect(server.address());
        socket.getOutputStream().write("GET /health/live HTTP/1.1\r\nX-Slow: a".getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    private String request(String from, String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
            socket.setSoTimeout((int) PROBE_TIMEOUT.toMillis());
            socket.connect(server.address());
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static boolean closedByServer(Socket socket) throws IOException {
        socket.setSoTimeout((int) PROBE_TIMEOUT.toMillis());
        InputStream in = socket.getInputStream();
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    private double closed(String reason) {
        return registry.get("ferry.admin.connections.closed").tag("reason", reason).counter().count();
    }

    @Test
    void probesAnswerWhileSlowClientsHoldConnections() throws Exception {
        start(AdminLimits.DEFAULTS);
        for (int i = 0; i < 2; i++) {
            slowClient("127.0.0.1");
        }
        for (int i = 2; i < 40; i++) {
            slowClient("127.0.1." + i);
        }
        assertThat(request("127.0.0.1", PROBE)).startsWith("HTTP/1.1 200 OK").endsWith("live\n");
        ready.set(false);
        assertThat(request("127.0.0.1", "GET /health/ready HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 503");
    }

    @Test
    void aClientThatDoesNotFinishItsHeadersIsClosedAtTheDeadline() throws Exception {
        start(new AdminLimits(Duration.ofMillis(300), Duration.ofSeconds(10), 64, 8));
        Socket slow = slowClient("127.0.0.1");
        assertThat(closedByServer(slow)).as("closed within %s", PROBE_TIMEOUT).isTrue();
    }

    @Test
    void aFullListenerClosesTheOldestWaitingConnectionToLetTheProbeIn() throws Exception {
        start(new AdminLimits(Duration.ofSeconds(30), Duration.ofSeconds(30), 8, 8));
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            slow.add(slowClient("127.0.2." + (i + 1)));
        }
        assertThat(request("127.0.0.1", PROBE)).startsWith("HTTP/1.1 200 OK");
        assertThat(closedByServer(slow.get(0))).as("the oldest slow client").isTrue();
        assertThat(closed("evicted_waiting")).isEqualTo(1.0);
    }

    @Test
    void oneClientAddressGetsNoMoreThanItsShare() throws Exception {
        start(new AdminLimits(Duration.ofSeconds(30), Duration.ofSeconds(30), 64, 4));
        for (int i = 0; i < 4; i++) {
            slowClient("127.0.3.1");
        }
        Socket fifth = slowClient("127.0.3.1");
        assertThat(closedByServer(fifth)).isTrue();
        Awaitility.await().atMost(PROBE_TIMEOUT).until(() -> closed("refused_client_limit") == 1.0);
        assertThat(request("127.0.3.2", PROBE)).as("another address").startsWith("HTTP/1.1 200 OK");
    }

    @Test
    void malformedOversizedAndUnknownRequestsGetTheirStatus() throws Exception {
        start(AdminLimits.DEFAULTS);
        assertThat(request("127.0.0.1", "GET /health/live HTTP/1.1\r\nX-Big: " + "a".repeat(10_000) + "\r\n\r\n"))
                .startsWith("HTTP/1.1 400");
        assertThat(request("127.0.0.1", "GET /nothing HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 404");
        assertThat(request("127.0.0.1", "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"))
                .startsWith("HTTP/1.1 405").contains("allow: GET");
        assertThat(request("127.0.0.1", "GET /metrics HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 200 OK")
                .contains("text/plain; version=0.0.4").contains("ferry_admin_connections_closed_total");
        assertThat(request("127.0.0.1", "GET /metrics HTTP/1.1\r\nAccept: application/openmetrics-text\r\n\r\n"))
                .contains("application/openmetrics-text").endsWith("# EOF\n");
    }
}
