package dev.ferryproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.transport.TransportKind;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import dev.ferryproxy.testing.SeededBytes.Digest;
import dev.ferryproxy.testing.TcpTarget;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * 64 MiB each way through one tunnel at the same time: the client uploads seeded random bytes
 * while the target sends other seeded bytes back. Both ends hash what they send and receive;
 * the hashes and counts must match. Bounded in time. On the default transport, NIO and epoll
 * (whichever direction ends first half-closes the tunnel, so on epoll this also guards the fix
 * for Netty 4.2.18's half-close defect).
 */
@Timeout(120)
class LargeTransferEndToEndTest {
    private static final Logger log = LoggerFactory.getLogger(LargeTransferEndToEndTest.class);
    private static final long SIZE = 64L * 1024 * 1024;
    private static final Duration DEADLINE = Duration.ofSeconds(60);

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
    void transfers64MiBEachWayAtOnceIntact(TransportKind transport) throws Exception {
        Transports.assumeAvailable(transport);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (RunningProxy proxy = RunningProxy.start(dns.address(), b -> b.transport(transport));
                RawSocksClient client = RawSocksClient.socks5Tunnel(proxy.address(), target.address());
                Socket upstream = target.accept(Duration.ofSeconds(5))) {
            int readTimeout = Math.toIntExact(DEADLINE.toMillis());
            client.socket().setSoTimeout(readTimeout);
            upstream.setSoTimeout(readTimeout);
            long start = System.nanoTime();

            Future<String> clientSent = pool.submit(sendThenEnd(client.socket(), 1));
            Future<String> targetSent = pool.submit(sendThenEnd(upstream, 2));
            Future<Digest> targetReceived = pool.submit(() -> SeededBytes.readAndDigest(upstream.getInputStream()));
            Future<Digest> clientReceived =
                    pool.submit(() -> SeededBytes.readAndDigest(client.socket().getInputStream()));

            long deadline = start + DEADLINE.toNanos();
            Digest upstreamGot = await(targetReceived, deadline, "the target to receive the upload");
            Digest clientGot = await(clientReceived, deadline, "the client to receive the download");
            double seconds = (System.nanoTime() - start) / 1e9;
            log.info("{}: 2 x {} MiB through the tunnel in {} s ({} MiB/s each way)", proxy.server().transport(),
                    SIZE >> 20, String.format("%.2f", seconds), String.format("%.0f", (SIZE >> 20) / seconds));

            assertThat(upstreamGot.count()).as("bytes uploaded").isEqualTo(SIZE);
            assertThat(upstreamGot.sha256()).as("SHA-256 of the upload")
                    .isEqualTo(await(clientSent, deadline, "the upload to be written"));
            assertThat(clientGot.count()).as("bytes downloaded").isEqualTo(SIZE);
            assertThat(clientGot.sha256()).as("SHA-256 of the download")
                    .isEqualTo(await(targetSent, deadline, "the download to be written"));
        } finally {
            pool.shutdownNow();
        }
    }

    private static Callable<String> sendThenEnd(Socket socket, long seed) {
        return () -> {
            String sha256 = SeededBytes.writeAndDigest(socket.getOutputStream(), seed, SIZE);
            socket.shutdownOutput();
            return sha256;
        };
    }

    private static <T> T await(Future<T> future, long deadlineNanos, String what) throws Exception {
        try {
            return future.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("timed out after " + DEADLINE + " waiting for " + what, e);
        }
    }
}
