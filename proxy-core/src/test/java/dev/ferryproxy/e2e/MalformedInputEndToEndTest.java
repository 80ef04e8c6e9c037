package dev.ferryproxy.e2e;

import static dev.ferryproxy.testing.SocksRequests.bytes;
import static dev.ferryproxy.testing.SocksRequests.concat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Malformed handshakes on real connections: each gets exactly the reply its fault calls for (or
 * none, when the first byte is no SOCKS version), then end of stream. A tunnel opened before
 * keeps relaying afterwards: one bad client does not disturb the others.
 */
@Timeout(60)
class MalformedInputEndToEndTest {
    private static DnsStub dns;
    private static EchoServer echo;
    private static RunningProxy proxy;
    private static InetSocketAddress echoAddress;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of());
        echo = EchoServer.start(Loopback.IPV4);
        proxy = RunningProxy.start(dns.address());
        echoAddress = new InetSocketAddress(Loopback.IPV4, echo.port());
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(proxy, echo, dns);
    }

    /** Each case: whether a valid SOCKS5 greeting goes first, the faulty bytes, and the exact reply to them. */
    static Stream<Arguments> malformedHandshakes() {
        byte[] socks5Failure01 = bytes(0x05, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0);
        byte[] longUserId = new byte[300];
        Arrays.fill(longUserId, (byte) 'u');
        return Stream.of(
                Arguments.of("HTTP instead of SOCKS", false,
                        "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                        new byte[0]),
                Arguments.of("version byte 0x06", false, bytes(0x06, 0x01, 0x00), new byte[0]),
                Arguments.of("version byte 0x00", false, bytes(0x00), new byte[0]),
                Arguments.of("SOCKS5 NMETHODS 0", false, bytes(0x05, 0x00), bytes(0x05, 0xFF)),
                Arguments.of("SOCKS5 without method 0x00", false, bytes(0x05, 0x02, 0x01, 0x02),
                        bytes(0x05, 0xFF)),
                Arguments.of("SOCKS5 unknown ATYP", true, bytes(0x05, 0x01, 0x00, 0x09),
                        bytes(0x05, 0x08, 0x00, 0x01, 0, 0, 0, 0, 0, 0)),
                Arguments.of("SOCKS5 domain length 0", true,
                        bytes(0x05, 0x01, 0x00, 0x03, 0x00, 0x00, 0x50), socks5Failure01),
                Arguments.of("SOCKS5 request version 0x04", true,
                        bytes(0x04, 0x01, 0x00, 0x01, 127, 0, 0, 1, 0, 80), socks5Failure01),
                Arguments.of("SOCKS4 USERID of 300 bytes", false,
                        concat(bytes(0x04, 0x01, 0x00, 0x50, 127, 0, 0, 1), longUserId, bytes(0x00)),
                        bytes(0x00, 91, 0, 0, 0, 0, 0, 0)),
                Arguments.of("SOCKS4 unknown command", false,
                        concat(bytes(0x04, 0x09, 0x00, 0x50, 127, 0, 0, 1), bytes(0x00)),
                        bytes(0x00, 91, 0, 0, 0, 0, 0, 0)),
                Arguments.of("SOCKS4a empty host name", false,
                        concat(bytes(0x04, 0x01, 0x00, 0x50, 0, 0, 0, 1), bytes(0x00), bytes(0x00)),
                        bytes(0x00, 91, 0, 0, 0, 0, 0, 0)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedHandshakes")
    void repliesAndClosesWhileOtherTunnelKeepsRelaying(String fault, boolean greetFirst, byte[] malformed,
            byte[] expectedReply) throws Exception {
        try (RawSocksClient healthy = RawSocksClient.socks5Tunnel(proxy.address(), echoAddress)) {
            assertRoundTrip(healthy, "before: " + fault);

            try (RawSocksClient bad = RawSocksClient.connect(proxy.address())) {
                if (greetFirst) {
                    bad.greetNoAuth();
                }
                bad.send(malformed);
                assertThat(RawSocksClient.hex(bad.read(expectedReply.length)))
                        .isEqualTo(RawSocksClient.hex(expectedReply));
                assertThat(bad.readUntilEof()).as("bytes after the reply").isEmpty();
            }

            assertRoundTrip(healthy, "after: " + fault);
            healthy.shutdownOutput();
            assertThat(healthy.readUntilEof()).isEmpty();
        }
    }

    private static void assertRoundTrip(RawSocksClient tunnel, String text) throws Exception {
        tunnel.send(text);
        assertThat(tunnel.readText(text.length())).isEqualTo(text);
    }
}
