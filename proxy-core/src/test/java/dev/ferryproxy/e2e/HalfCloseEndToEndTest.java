package dev.ferryproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.transport.TransportKind;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import dev.ferryproxy.testing.TcpTarget;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.TimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Half-close through the tunnel, both ways: the side that ends its output first is seen to end
 * by the other, which can still send (32 MiB, far more than the sockets buffer), and everything it
 * sends arrives before its own end. On the default transport, NIO and epoll: on epoll this guards
 * the fix for Netty 4.2.18's half-close defect (EpollKeepRegisteredIoHandlerFactory), without which
 * most runs lose data.
 */
@Timeout(60)
class HalfCloseEndToEndTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int AFTER_HALF_CLOSE_BYTES = 32 * 1024 * 1024;

    private static DnsStub dns;
    private static TcpTarget target;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of());
        target = TcpTarget.start(Loopback.IPV4);
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(target, dns);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TransportKind.class, names = {"AUTO", "NIO", "EPOLL", "IO_URING"})
    void clientHalfClosesFirstAndStillReceivesAnswer(TransportKind transport) throws Exception {
        Transports.assumeAvailable(transport);
        byte[] answer = SeededBytes.generate(21, AFTER_HALF_CLOSE_BYTES);
        try (RunningProxy proxy = RunningProxy.start(dns.address(), b -> b.transport(transport));
                RawSocksClient client = RawSocksClient.socks5Tunnel(proxy.address(), target.address());
                Socket upstream = target.accept(TIMEOUT)) {
            client.send("request, then EOF");
            client.shutdownOutput();

            assertThat(new String(upstream.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                    .isEqualTo("request, then EOF");
            CompletableFuture<byte[]> received = Background.call("client-reader", client::readUntilEof);
            upstream.getOutputStream().write(answer);
            upstream.shutdownOutput();

            byte[] got = received.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(got.length).isEqualTo(answer.length);
            assertThat(SeededBytes.sha256Hex(got)).isEqualTo(SeededBytes.sha256Hex(answer));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TransportKind.class, names = {"AUTO", "NIO", "EPOLL", "IO_URING"})
    void targetHalfClosesFirstAndStillReceivesData(TransportKind transport) throws Exception {
        Transports.assumeAvailable(transport);
        byte[] lateData = SeededBytes.generate(12, AFTER_HALF_CLOSE_BYTES);
        try (RunningProxy proxy = RunningProxy.start(dns.address(), b -> b.transport(transport));
                RawSocksClient client = RawSocksClient.socks5Tunnel(proxy.address(), target.address());
                Socket upstream = target.accept(TIMEOUT)) {
            upstream.getOutputStream().write("banner, then EOF".getBytes(StandardCharsets.US_ASCII));
            upstream.shutdownOutput();

            assertThat(new String(client.readUntilEof(), StandardCharsets.US_ASCII)).isEqualTo("banner, then EOF");
            AtomicLong arrived = new AtomicLong();
            CompletableFuture<byte[]> received = Background.call("target-reader", () -> readToEnd(upstream, arrived));
            client.send(lateData);
            client.shutdownOutput();

            byte[] got;
            try {
                got = received.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (TimeoutException stalled) {
                // say where it stopped: no byte (the direction never relayed), some (backpressure), all (no EOF)
                throw new AssertionError("the target got " + arrived.get() + " of " + lateData.length
                        + " bytes and no end of stream within " + TIMEOUT, stalled);
            }
            assertThat(got.length).isEqualTo(lateData.length);
            assertThat(SeededBytes.sha256Hex(got)).isEqualTo(SeededBytes.sha256Hex(lateData));
        }
    }

    /** What fits in the socket buffers works on every transport, epoll included. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TransportKind.class, names = {"AUTO", "NIO", "EPOLL", "IO_URING"})
    void bothSidesHalfCloseInTurnWithSmallPayloads(TransportKind transport) throws Exception {
        Transports.assumeAvailable(transport);
        try (RunningProxy proxy = RunningProxy.start(dns.address(), b -> b.transport(transport));
                RawSocksClient client = RawSocksClient.socks5Tunnel(proxy.address(), target.address());
                Socket upstream = target.accept(TIMEOUT)) {
            client.send("question");
            client.shutdownOutput();
            assertThat(new String(upstream.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                    .isEqualTo("question");

            upstream.getOutputStream().write("answer".getBytes(StandardCharsets.US_ASCII));
            upstream.shutdownOutput();
            assertThat(new String(client.readUntilEof(), StandardCharsets.US_ASCII)).isEqualTo("answer");
        }
    }

    /** Everything {@code socket} receives until end of stream, counting it into {@code arrived} as it comes. */
    private static byte[] readToEnd(Socket socket, AtomicLong arrived) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] chunk = new byte[64 * 1024];
        for (int read; (read = socket.getInputStream().read(chunk)) != -1; ) {
            all.write(chunk, 0, read);
            arrived.addAndGet(read);
        }
        return all.toByteArray();
    }
}
