package dev.ferryproxy.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import dev.ferryproxy.testing.TcpTarget;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The blocking streams over a tunnel through Ferry: reading stops while the caller does not
 * read (the queue stays near its high water mark, however much the target sends), and resumes
 * with every byte intact; half-close both ways; closing.
 */
@Timeout(60)
class SocksStreamsTest {
    private static DnsStub dns;
    private static RunningProxy ferry;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of());
        ferry = RunningProxy.start(dns.address());
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(ferry, dns);
    }

    private static SocksClient client() {
        return SocksClient.builder().proxy("socks5://" + ferry.hostAndPort()).build();
    }

    @Test
    void readingPausesWhileTheCallerDoesNotReadAndResumesWithEveryByte() throws Exception {
        int length = 8 * 1024 * 1024;
        try (TcpTarget target = TcpTarget.start(Loopback.IPV4); SocksClient client = client()) {
            CompletableFuture<String> sent = CompletableFuture.supplyAsync(() -> {
                try (Socket socket = target.accept(Duration.ofSeconds(30))) {
                    String digest = SeededBytes.writeAndDigest(socket.getOutputStream(), 88, length);
                    socket.shutdownOutput();
                    socket.getInputStream().read();
                    return digest;
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            try (SocksStreams streams = client.connectStreams(SocksTarget.of(target.address()))) {
                Awaitility.await("the queue fills up to its high water mark").atMost(Duration.ofSeconds(20))
                        .pollInterval(Duration.ofMillis(5))
                        .until(() -> streams.queuedBytes() >= SocksStreams.HIGH_WATER_MARK_BYTES);
                assertThat(streams.readingPaused()).isTrue();
                assertThat(streams.queuedBytes()).as("bounded by the high mark and one read")
                        .isLessThan(SocksStreams.HIGH_WATER_MARK_BYTES + 256 * 1024);
                SeededBytes.Digest received = SeededBytes.readAndDigest(streams.input());
                assertThat(received.count()).isEqualTo(length);
                streams.shutdownOutput();
                assertThat(received.sha256()).isEqualTo(sent.get(20, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void halfCloseBothWaysAndCloseByTheInputStream() throws Exception {
        try (TcpTarget target = TcpTarget.start(Loopback.IPV4); SocksClient client = client()) {
            CompletableFuture<byte[]> targetGot = CompletableFuture.supplyAsync(() -> {
                try (Socket socket = target.accept(Duration.ofSeconds(30))) {
                    byte[] request = socket.getInputStream().readAllBytes(); // until the client's half-close
                    socket.getOutputStream().write(("got " + request.length).getBytes());
                    socket.shutdownOutput();
                    return request;
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            SocksStreams streams = client.connectStreams(SocksTarget.of(target.address()));
            OutputStream out = streams.output();
            out.write("hello".getBytes());
            out.write('!');
            out.close(); // shuts the output down
            assertThatThrownBy(() -> out.write(1)).isInstanceOf(IOException.class).hasMessageContaining("shut down");
            InputStream in = streams.input();
            assertThat(new String(in.readAllBytes())).isEqualTo("got 6");
            assertThat(in.read()).isEqualTo(-1);
            assertThat(targetGot.get(10, TimeUnit.SECONDS)).isEqualTo("hello!".getBytes());
            in.close();
            assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessageContaining("closed");
            streams.close();
        }
    }

    @Test
    void failureToConnectIsThrownAsTheTypedException() throws Exception {
        try (SocksClient client = client()) {
            assertThatThrownBy(() -> client.connectStreams(SocksTarget.of(Loopback.closedPort(Loopback.IPV4))))
                    .isInstanceOf(SocksReplyException.class).hasMessageContaining("connection refused");
        }
        try (SocksClient unreachable = SocksClient.builder()
                .proxy("socks5://127.0.0.1:" + Loopback.closedPort(Loopback.IPV4).getPort()).build()) {
            assertThatThrownBy(() -> unreachable.connectStreams(SocksTarget.of("127.0.0.1", 9)))
                    .isInstanceOf(java.net.ConnectException.class);
        }
    }
}
