package dev.ferryproxy.connect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.server.ProxyServer;
import dev.ferryproxy.server.ProxyServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * End of stream that arrives while the handshake is still in the pipeline: the bytes around it
 * must not be lost, and a handshake that can no longer complete must not wait for its deadline.
 */
class EndOfStreamAroundHandshakeTest {
    private static final int READ_TIMEOUT_MILLIS = 10_000;

    private ProxyServer proxy;
    private ServerSocket target;

    @BeforeEach
    void start() throws IOException {
        proxy = ProxyServer.start(ProxyServerConfig.builder()
                .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                // Far longer than any wait below: a close seen here is the end-of-stream path, not the deadline.
                .handshakeTimeout(Duration.ofSeconds(120))
                // IP targets only; any stray lookup stays on loopback.
                .dnsServers(List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9)))
                .build());
        target = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
    }

    @AfterEach
    void stop() throws IOException {
        target.close();
        proxy.close();
    }

    @Test
    void requestPayloadAndEofSentAtOnceAllReachTheTarget() throws Exception {
        byte[] payload = "payload that rode with the request".getBytes(StandardCharsets.US_ASCII);
        CompletableFuture<byte[]> targetReceived = CompletableFuture.supplyAsync(() -> {
            try (Socket accepted = target.accept()) {
                accepted.setSoTimeout(READ_TIMEOUT_MILLIS);
                byte[] all = accepted.getInputStream().readAllBytes(); // returns only at EOF
                accepted.getOutputStream().write("answer after EOF".getBytes(StandardCharsets.US_ASCII));
                accepted.shutdownOutput();
                return all;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });

        try (Socket client = connectToProxy()) {
            ByteBuffer everything = ByteBuffer.allocate(3 + 10 + payload.length)
                    .put(new byte[] {5, 1, 0})
                    .put(connectRequest(target.getLocalPort()))
                    .put(payload);
            client.getOutputStream().write(everything.array());
            client.shutdownOutput();

            DataInputStream in = new DataInputStream(client.getInputStream());
            byte[] replies = new byte[2 + 10];
            in.readFully(replies);
            assertThat(replies[1]).as("method").isZero();
            assertThat(replies[3]).as("REP").isZero();
            assertThat(targetReceived.get(READ_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)).isEqualTo(payload);
            assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("answer after EOF");
        }
    }

    @Test
    void targetThatSpeaksFirstAndClosesIsRelayedWhole() throws Exception {
        byte[] banner = "220 banner, then goodbye\r\n".getBytes(StandardCharsets.US_ASCII);
        CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
            try (Socket accepted = target.accept()) {
                OutputStream out = accepted.getOutputStream();
                out.write(banner);
                accepted.shutdownOutput();
                accepted.setSoTimeout(READ_TIMEOUT_MILLIS);
                accepted.getInputStream().readAllBytes(); // until the proxy passes on the client's EOF
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });

        try (Socket client = connectToProxy()) {
            client.getOutputStream().write(new byte[] {5, 1, 0});
            client.getOutputStream().write(connectRequest(target.getLocalPort()));
            DataInputStream in = new DataInputStream(client.getInputStream());
            byte[] replies = new byte[2 + 10];
            in.readFully(replies);
            assertThat(replies[3]).as("REP").isZero();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            in.transferTo(received); // returns at EOF: the banner, then the target's FIN
            assertThat(received.toByteArray()).isEqualTo(banner);
            client.shutdownOutput();
            served.get(READ_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    @Test
    void halfAGreetingThenEofIsClosedWithoutWaitingForTheDeadline() throws Exception {
        try (Socket client = connectToProxy()) {
            client.getOutputStream().write(new byte[] {5, 3, 0}); // promises 3 methods, sends 1
            client.shutdownOutput();
            InputStream in = client.getInputStream();
            assertThat(in.read()).as("closed without a reply").isEqualTo(-1);
        }
    }

    @Test
    void halfASocks4RequestThenEofIsClosedWithoutWaitingForTheDeadline() throws Exception {
        try (Socket client = connectToProxy()) {
            client.getOutputStream().write(new byte[] {4, 1, 0, 80, 127, 0, 0, 1, 'u'}); // no NUL yet
            client.shutdownOutput();
            assertThat(client.getInputStream().read()).as("closed without a reply").isEqualTo(-1);
        }
    }

    private Socket connectToProxy() throws IOException {
        Socket client = new Socket();
        client.connect(proxy.address(), READ_TIMEOUT_MILLIS);
        client.setSoTimeout(READ_TIMEOUT_MILLIS);
        return client;
    }

    private static byte[] connectRequest(int port) {
        return ByteBuffer.allocate(10).put(new byte[] {5, 1, 0, 1, 127, 0, 0, 1}).putShort((short) port).array();
    }
}
