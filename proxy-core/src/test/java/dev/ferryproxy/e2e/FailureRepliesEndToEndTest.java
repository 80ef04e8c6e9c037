package dev.ferryproxy.e2e;

import static dev.ferryproxy.testing.SocksRequests.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SocksRequests;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * Requests the proxy must refuse, each answered with the exact reply the protocol defines, then
 * closed: a refused target (SOCKS5 0x05, SOCKS4 91), a name that cannot resolve (0x04; 91),
 * unknown commands and BIND while it is off, the default (0x07; SOCKS4 BIND 91). UDP ASSOCIATE
 * switched off (0x07) is in {@link UdpAssociatePolicyEndToEndTest}.
 */
@Timeout(60)
class FailureRepliesEndToEndTest {
    private static final byte[] SOCKS4_REJECTED = bytes(0x00, 91, 0, 0, 0, 0, 0, 0);

    private static DnsStub dns;
    private static EchoServer echo;
    private static RunningProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of());
        echo = EchoServer.start(Loopback.IPV4);
        proxy = RunningProxy.start(dns.address());
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(proxy, echo, dns);
    }

    /** {@code 05 REP 00 01 0.0.0.0:0}: the reply Ferry sends on every failure. */
    private static byte[] socks5Failure(int rep) {
        return bytes(0x05, rep, 0x00, 0x01, 0, 0, 0, 0, 0, 0);
    }

    @Test
    void socks5RefusedTargetGetsConnectionRefused() throws Exception {
        InetSocketAddress closed = Loopback.closedPort(Loopback.IPV4);
        assertSocks5Reply(SocksRequests.socks5Connect(closed), socks5Failure(0x05));
    }

    @Test
    void socks5RefusedIpv6TargetGetsConnectionRefused() throws Exception {
        InetSocketAddress closed = Loopback.closedPort(Loopback.IPV6);
        assertSocks5Reply(SocksRequests.socks5Connect(closed), socks5Failure(0x05));
    }

    @Test
    void socks4RefusedTargetGetsRejected() throws Exception {
        InetSocketAddress closed = Loopback.closedPort(Loopback.IPV4);
        assertSocks4Reply(SocksRequests.socks4Connect(closed));
    }

    @Test
    void socks5InvalidNameGetsHostUnreachableWithoutAskingDns() throws Exception {
        assertSocks5Reply(SocksRequests.socks5Connect("nowhere.invalid", echo.port()), socks5Failure(0x04));
        assertThat(dns.wasAskedAbout("nowhere.invalid")).isFalse();
    }

    @Test
    void socks4aInvalidNameGetsRejected() throws Exception {
        assertSocks4Reply(SocksRequests.socks4aConnect("nowhere.invalid", echo.port(), ""));
    }

    @Test
    void socks5UnknownNameGetsHostUnreachableAfterAskingDns() throws Exception {
        assertSocks5Reply(SocksRequests.socks5Connect("missing.ferry.test", echo.port()), socks5Failure(0x04));
        assertThat(dns.wasAskedAbout("missing.ferry.test")).as("questions: %s", dns.questions()).isTrue();
    }

    @ParameterizedTest(name = "command byte {0}")
    @ValueSource(ints = {SocksRequests.SOCKS5_BIND, 0x00, 0x04, 0x7F, 0xFF})
    void socks5UnsupportedCommandGetsCommandNotSupported(int command) throws Exception {
        byte[] request = SocksRequests.socks5Request(command, new InetSocketAddress(Loopback.IPV4, echo.port()));
        assertSocks5Reply(request, socks5Failure(0x07));
    }

    @Test
    void socks4BindGetsRejected() throws Exception {
        assertSocks4Reply(SocksRequests.socks4Request(SocksRequests.SOCKS4_BIND,
                new InetSocketAddress(Loopback.IPV4, echo.port()), ""));
    }

    private static void assertSocks5Reply(byte[] request, byte[] expectedReply) throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.greetNoAuth().send(request);
            assertThat(RawSocksClient.hex(client.read(expectedReply.length)))
                    .isEqualTo(RawSocksClient.hex(expectedReply));
            assertThat(client.readUntilEof()).as("bytes after the failure reply").isEmpty();
        }
    }

    private static void assertSocks4Reply(byte[] request) throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(request);
            assertThat(RawSocksClient.hex(client.read(8))).isEqualTo(RawSocksClient.hex(SOCKS4_REJECTED));
            assertThat(client.readUntilEof()).as("bytes after the failure reply").isEmpty();
        }
    }
}
