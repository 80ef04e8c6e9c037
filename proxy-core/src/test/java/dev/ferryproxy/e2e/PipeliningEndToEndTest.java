package dev.ferryproxy.e2e;

import static dev.ferryproxy.testing.SocksRequests.concat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RawSocksClient.Socks4Reply;
import dev.ferryproxy.testing.RawSocksClient.Socks5Reply;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import dev.ferryproxy.testing.SocksRequests;
import dev.ferryproxy.testing.TcpTarget;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * TCP does not keep the client's write boundaries: the proxy must cope with the whole handshake
 * and the first payload in one segment, and with the handshake one byte per segment. Payload
 * sent right behind the request must reach the target, in order, with nothing lost or added.
 */
@Timeout(60)
class PipeliningEndToEndTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private static DnsStub dns;
    private static EchoServer echo;
    private static TcpTarget target;
    private static RunningProxy proxy;
    private static InetSocketAddress echoAddress;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of(
                "pipelined.ferry.test", List.of(Loopback.IPV4),
                "held4.ferry.test", List.of(Loopback.IPV4),
                "held5.ferry.test", List.of(Loopback.IPV4)));
        echo = EchoServer.start(Loopback.IPV4);
        target = TcpTarget.start(Loopback.IPV4);
        proxy = RunningProxy.start(dns.address());
        echoAddress = new InetSocketAddress(Loopback.IPV4, echo.port());
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(proxy, target, echo, dns);
    }

    @Test
    void relaysPayloadPipelinedWithSocks5GreetingAndRequest() throws Exception {
        byte[] payload = SeededBytes.generate(5, 16 * 1024);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(concat(SocksRequests.socks5Greeting(), SocksRequests.socks5Connect(echoAddress), payload));

            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 00");
            Socks5Reply reply = client.readSocks5Reply();
            assertThat(reply.rep()).isZero();
            assertEchoedThenEof(client, payload);
        }
    }

    @Test
    void relaysPayloadPipelinedWithSocks5DomainRequest() throws Exception {
        byte[] payload = SeededBytes.generate(55, 4 * 1024);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(concat(SocksRequests.socks5Greeting(),
                    SocksRequests.socks5Connect("pipelined.ferry.test", echo.port()), payload));

            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 00");
            assertThat(client.readSocks5Reply().rep()).isZero();
            assertEchoedThenEof(client, payload);
        }
    }

    @Test
    void relaysPayloadPipelinedWithSocks4Request() throws Exception {
        byte[] payload = SeededBytes.generate(4, 16 * 1024);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(concat(SocksRequests.socks4Connect(echoAddress), payload));

            Socks4Reply reply = client.readSocks4Reply();
            assertThat(reply.status()).isEqualTo(90);
            assertEchoedThenEof(client, payload);
        }
    }

    @Test
    void relaysPayloadPipelinedWithSocks4aRequest() throws Exception {
        byte[] payload = SeededBytes.generate(44, 16 * 1024);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(concat(SocksRequests.socks4aConnect("localhost", echo.port(), "user"), payload));

            assertThat(client.readSocks4Reply().status()).isEqualTo(90);
            assertEchoedThenEof(client, payload);
        }
    }

    @Test
    void relaysAfterSocks5HandshakeSentOneBytePerWrite() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.sendOneBytePerWrite(SocksRequests.socks5Greeting());
            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 00");
            client.sendOneBytePerWrite(SocksRequests.socks5Connect("pipelined.ferry.test", echo.port()));
            assertThat(client.readSocks5Reply().rep()).isZero();

            byte[] payload = "after a trickled handshake".getBytes(StandardCharsets.US_ASCII);
            assertEchoedThenEof(client.send(payload), payload);
        }
    }

    @Test
    void relaysAfterSocks4aRequestSentOneBytePerWrite() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.sendOneBytePerWrite(SocksRequests.socks4aConnect("localhost", echo.port(), "trickle"));
            assertThat(client.readSocks4Reply().status()).isEqualTo(90);

            byte[] payload = "after a trickled request".getBytes(StandardCharsets.US_ASCII);
            assertEchoedThenEof(client.send(payload), payload);
        }
    }

    /**
     * Payload and end of stream right behind the request, while the proxy still waits for DNS (the
     * stub holds its answer until the proxy has had the chance to see the client's EOF): the target
     * must get the payload, then EOF, and still be able to answer.
     */
    @Test
    void forwardsPayloadAndEndOfStreamSentWhileSocks4aTargetResolves() throws Exception {
        byte[] payload = SeededBytes.generate(404, 8 * 1024);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            dns.pauseAnswers();
            try {
                client.send(concat(SocksRequests.socks4aConnect("held4.ferry.test", target.address().getPort(), ""),
                        payload));
                client.shutdownOutput();
                dns.awaitQuestion("held4.ferry.test", TIMEOUT);
            } finally {
                dns.resumeAnswers();
            }

            try (Socket upstream = target.accept(TIMEOUT)) {
                assertReceivedThenEof(upstream, payload);
                answerAndClose(upstream, "answer after EOF");
            }
            assertThat(client.readSocks4Reply().status()).isEqualTo(90);
            assertThat(new String(client.readUntilEof(), StandardCharsets.US_ASCII)).isEqualTo("answer after EOF");
        }
    }

    @Test
    void forwardsPayloadAndEndOfStreamSentWhileSocks5TargetResolves() throws Exception {
        byte[] payload = SeededBytes.generate(505, 8 * 1024);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            dns.pauseAnswers();
            try {
                client.send(concat(SocksRequests.socks5Greeting(),
                        SocksRequests.socks5Connect("held5.ferry.test", target.address().getPort()), payload));
                client.shutdownOutput();
                dns.awaitQuestion("held5.ferry.test", TIMEOUT);
            } finally {
                dns.resumeAnswers();
            }

            try (Socket upstream = target.accept(TIMEOUT)) {
                assertReceivedThenEof(upstream, payload);
                answerAndClose(upstream, "answer after EOF");
            }
            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 00");
            assertThat(client.readSocks5Reply().rep()).isZero();
            assertThat(new String(client.readUntilEof(), StandardCharsets.US_ASCII)).isEqualTo("answer after EOF");
        }
    }

    /** The same, without a name to resolve: the EOF races the target's connect. */
    @Test
    void forwardsPayloadAndEndOfStreamSentRightBehindSocks4Request() throws Exception {
        byte[] payload = SeededBytes.generate(4040, 8 * 1024);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(concat(SocksRequests.socks4Connect(target.address()), payload));
            client.shutdownOutput();

            try (Socket upstream = target.accept(TIMEOUT)) {
                assertReceivedThenEof(upstream, payload);
                answerAndClose(upstream, "answer after EOF");
            }
            assertThat(client.readSocks4Reply().status()).isEqualTo(90);
            assertThat(new String(client.readUntilEof(), StandardCharsets.US_ASCII)).isEqualTo("answer after EOF");
        }
    }

    /** A pipelined request that fails at once must still be answered after the method selection. */
    @Test
    void answersMethodSelectionBeforeImmediateFailureOfPipelinedRequest() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(concat(SocksRequests.socks5Greeting(), SocksRequests.socks5Connect("nowhere.invalid", 80)));

            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 00");
            assertThat(RawSocksClient.hex(client.read(10))).isEqualTo("05 04 00 01 00 00 00 00 00 00");
            assertThat(client.readUntilEof()).isEmpty();
        }
    }

    @Test
    void answersMethodSelectionBeforeRejectingPipelinedBind() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(concat(SocksRequests.socks5Greeting(),
                    SocksRequests.socks5Request(SocksRequests.SOCKS5_BIND, echoAddress)));

            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 00");
            assertThat(RawSocksClient.hex(client.read(10))).isEqualTo("05 07 00 01 00 00 00 00 00 00");
            assertThat(client.readUntilEof()).isEmpty();
        }
    }

    @Test
    void answersMethodSelectionBeforeRejectingPipelinedMalformedRequest() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(concat(SocksRequests.socks5Greeting(), SocksRequests.bytes(0x05, 0x01, 0x00, 0x09)));

            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 00");
            assertThat(RawSocksClient.hex(client.read(10))).isEqualTo("05 08 00 01 00 00 00 00 00 00");
            assertThat(client.readUntilEof()).isEmpty();
        }
    }

    /** Reads until end of stream or the read timeout, then checks the bytes and that the stream did end. */
    private static void assertReceivedThenEof(Socket upstream, byte[] expected) throws Exception {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        boolean ended = false;
        try {
            byte[] chunk = new byte[8192];
            for (int n; (n = upstream.getInputStream().read(chunk)) != -1; ) {
                received.write(chunk, 0, n);
            }
            ended = true;
        } catch (SocketTimeoutException e) {
            // reported below with what did arrive
        }
        assertThat(received.size()).as("bytes the target received").isEqualTo(expected.length);
        assertThat(SeededBytes.sha256Hex(received.toByteArray())).isEqualTo(SeededBytes.sha256Hex(expected));
        assertThat(ended).as("the target saw end of stream").isTrue();
    }

    private static void answerAndClose(Socket upstream, String answer) throws Exception {
        OutputStream out = upstream.getOutputStream();
        out.write(answer.getBytes(StandardCharsets.US_ASCII));
        upstream.shutdownOutput();
    }

    /** The echo of {@code payload} comes back whole; after the client half-closes, the echo server's EOF does too. */
    private static void assertEchoedThenEof(RawSocksClient client, byte[] payload) throws Exception {
        byte[] echoed = client.read(payload.length);
        assertThat(SeededBytes.sha256Hex(echoed)).isEqualTo(SeededBytes.sha256Hex(payload));
        client.shutdownOutput();
        assertThat(client.readUntilEof()).as("bytes beyond the payload").isEmpty();
    }
}
