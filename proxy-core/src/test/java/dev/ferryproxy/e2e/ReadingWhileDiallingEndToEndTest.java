package dev.ferryproxy.e2e;

import static dev.ferryproxy.testing.SocksRequests.concat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.codec.SocksFrameDecoder;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import dev.ferryproxy.testing.SocksRequests;
import dev.ferryproxy.testing.TcpTarget;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A CONNECT keeps reading its client while the target is dialled (it no longer turns reading off
 * and on, two epoll_ctl calls per tunnel); what the client sends meanwhile waits in the request
 * decoder. That must stay bounded: a client that sends without end while its target's name
 * resolves is stopped after {@link SocksFrameDecoder#HELD_BYTES_LIMIT}, and everything it sent
 * still reaches the target, in order, once the target is connected.
 */
@Timeout(60)
class ReadingWhileDiallingEndToEndTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** Far more than the kernel buffers a socket that is not read takes in (client send and proxy receive). */
    private static final int FLOOD_BYTES = 16 * 1024 * 1024;

    private DnsStub dns;
    private TcpTarget target;
    private RunningProxy proxy;

    @BeforeEach
    void start() throws Exception {
        dns = DnsStub.start(Map.of("slow.ferry.test", List.of(Loopback.IPV4)));
        target = TcpTarget.start(Loopback.IPV4);
        // Long enough that the held answer, not a timeout, ends the resolution.
        proxy = RunningProxy.start(dns.address(), builder -> builder.dnsQueryTimeout(Duration.ofSeconds(20)));
    }

    @AfterEach
    void stop() throws Exception {
        dns.resumeAnswers();
        Closeables.closeAll(proxy, target, dns);
    }

    @Test
    void stopsReadingAFloodingClientWhileItsTargetResolvesAndRelaysAllOfItAfterwards() throws Exception {
        byte[] flood = SeededBytes.generate(1212, FLOOD_BYTES);
        Socket socket = new Socket();
        // A small send buffer, so the client's side holds little: what it cannot write waits in
        // its writer, where the test can see it.
        socket.setSendBufferSize(64 * 1024);
        socket.connect(proxy.address(), (int) TIMEOUT.toMillis());
        socket.setSoTimeout((int) TIMEOUT.toMillis());
        try (RawSocksClient client = RawSocksClient.over(socket)) {
            dns.pauseAnswers();
            client.send(concat(SocksRequests.socks5Greeting(),
                    SocksRequests.socks5Connect("slow.ferry.test", target.address().getPort())));
            dns.awaitQuestion("slow.ferry.test", TIMEOUT);

            AtomicLong written = new AtomicLong();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    for (int offset = 0; offset < flood.length; offset += 16 * 1024) {
                        out.write(flood, offset, 16 * 1024);
                        written.addAndGet(16 * 1024);
                    }
                    socket.shutdownOutput();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });

            // Unbounded, the proxy would take the whole flood into its decoder in milliseconds.
            Awaitility.await("the writer stays blocked while the name resolves")
                    .during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                    .until(() -> !writer.isDone());
            assertThat(written.get()).as("bytes the client got rid of while its target resolved")
                    .isLessThan(FLOOD_BYTES / 2);

            dns.resumeAnswers();
            try (Socket upstream = target.accept(TIMEOUT)) {
                upstream.setSoTimeout((int) TIMEOUT.toMillis());
                byte[] received = readUntilEof(upstream.getInputStream());
                assertThat(received.length).as("bytes the target received").isEqualTo(FLOOD_BYTES);
                assertThat(SeededBytes.sha256Hex(received)).isEqualTo(SeededBytes.sha256Hex(flood));
            }
            writer.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 00");
            assertThat(client.readSocks5Reply().rep()).isZero();
        }
    }

    private static byte[] readUntilEof(InputStream in) throws Exception {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        byte[] chunk = new byte[64 * 1024];
        for (int n; (n = in.read(chunk)) != -1; ) {
            received.write(chunk, 0, n);
        }
        return received.toByteArray();
    }
}
