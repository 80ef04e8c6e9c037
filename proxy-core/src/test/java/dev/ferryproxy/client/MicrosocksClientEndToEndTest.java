package dev.ferryproxy.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.MicrosocksServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.util.stream.Stream;

/**
 * The client against microsocks (Debian's microsocks), a second independent implementation:
 * SOCKS5 and SOCKS5h CONNECT to IPv4, IPv6 and named targets with checked transfers; RFC 1929
 * logins right, wrong and missing; failure replies (refused, and 0x07 for BIND, which microsocks
 * does not implement). microsocks has no half-close: the first end of stream closes both
 * directions, so transfers read their echo back in full before closing.
 */
@Timeout(60)
class MicrosocksClientEndToEndTest {
    private static final String USER = "ferry";
    private static final String PASSWORD = "s3cret-pw";

    private static MicrosocksServer open;
    private static MicrosocksServer withPassword;
    private static EchoServer echo;
    private static EchoServer echo6;

    @BeforeAll
    static void start() throws Exception {
        open = MicrosocksServer.start();
        withPassword = MicrosocksServer.start(USER, PASSWORD);
        echo = EchoServer.start(Loopback.IPV4);
        if (Loopback.canBind(Loopback.IPV6)) {
            try {
                echo6 = EchoServer.start(new InetSocketAddress(Loopback.IPV6, echo.port()));
            } catch (java.io.IOException e) {
                echo6 = null;
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(echo6, echo, withPassword, open);
    }

    static Stream<Arguments> connectCases() {
        return Stream.of(
                Arguments.of("socks5", "127.0.0.1"),
                Arguments.of("socks5", "localhost"),
                Arguments.of("socks5h", "localhost"),
                Arguments.of("socks5", "::1"),
                Arguments.of("socks5h", "::1"));
    }

    @ParameterizedTest(name = "{0} to {1}")
    @MethodSource("connectCases")
    void connectCarriesAFewMebibytesBothWays(String scheme, String host) throws Exception {
        assumeTrue(echo6 != null || !host.contains(":"), "IPv6 loopback unavailable");
        try (SocksClient client = SocksClient.builder().proxy(scheme + "://" + open.hostAndPort()).build()) {
            // microsocks closes both directions at the first end of stream: read everything back first.
            Tunnels.echoThroughStreams(client, SocksTarget.of(host, echo.port()), host.hashCode(),
                    Tunnels.TRANSFER_BYTES, false);
        }
    }

    @Test
    void proxyOnAnIpv6Address() throws Exception {
        assumeTrue(echo6 != null, "IPv6 loopback unavailable");
        try (MicrosocksServer onIpv6 = MicrosocksServer.start(Loopback.IPV6, null, null);
                SocksClient client = SocksClient.builder().proxy("socks5://" + onIpv6.hostAndPort()).build()) {
            assertThat(onIpv6.hostAndPort()).startsWith("[");
            Tunnels.echoThroughStreams(client, SocksTarget.of("::1", echo.port()), 6, 256 * 1024, false);
        }
    }

    @Test
    void channelApiWithRightPassword() throws Exception {
        try (SocksClient client = SocksClient.builder().proxy("socks5h://" + withPassword.hostAndPort())
                .credentials(USER, PASSWORD).build()) {
            Tunnels.echoThroughChannel(client, SocksTarget.of("localhost", echo.port()), 5, Tunnels.TRANSFER_BYTES,
                    false);
        }
    }

    @Test
    void wrongPasswordIsASocksAuthenticationExceptionWithMicrosocksStatus() throws Exception {
        try (SocksClient client = SocksClient.builder().proxy("socks5://" + withPassword.hostAndPort())
                .credentials(USER, "not-" + PASSWORD).build()) {
            Throwable failure = Tunnels.failureOf(client.connect(SocksTarget.of(echo.address())));
            assertThat(failure).isInstanceOf(SocksAuthenticationException.class);
            assertThat(((SocksAuthenticationException) failure).status()).isNotZero();
        }
    }

    @Test
    void noCredentialsIsNoAcceptableMethod() throws Exception {
        try (SocksClient client = SocksClient.builder().proxy("socks5://" + withPassword.hostAndPort()).build()) {
            assertThat(Tunnels.failureOf(client.connect(SocksTarget.of(echo.address()))))
                    .isInstanceOf(NoAcceptableMethodException.class);
        }
    }

    @Test
    void refusedTargetIs0x05() throws Exception {
        InetSocketAddress closed = Loopback.closedPort(Loopback.IPV4);
        try (SocksClient client = SocksClient.builder().proxy("socks5://" + open.hostAndPort()).build()) {
            SocksReplyException failure = (SocksReplyException) Tunnels.failureOf(client.connect(SocksTarget.of(closed)));
            assertThat(failure.replyCode()).isEqualTo(5);
            assertThat(failure.meaning()).isEqualTo("connection refused");
        }
    }

    @Test
    void bindIsCommandNotSupported() throws Exception {
        try (SocksClient client = SocksClient.builder().proxy("socks5://" + open.hostAndPort()).build()) {
            SocksReplyException failure = (SocksReplyException) Tunnels.failureOf(
                    client.bind(SocksTarget.of("127.0.0.1", 0)));
            assertThat(failure.replyCode()).isEqualTo(7);
            assertThat(failure.meaning()).isEqualTo("command not supported");
        }
    }
}
