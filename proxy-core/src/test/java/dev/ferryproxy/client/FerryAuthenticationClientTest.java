package dev.ferryproxy.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.auth.LoginThrottle;
import dev.ferryproxy.auth.PlainCredential;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RunningProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * RFC 1929 logins against Ferry requiring passwords: the right password opens a tunnel (SOCKS5
 * and SOCKS5h, a user name and password at the 255-byte limit, percent-encoded in a URI), a wrong
 * one is a {@link SocksAuthenticationException}, no credentials a
 * {@link NoAcceptableMethodException}, and SOCKS4 (which has no password) a SOCKS4 reply 91.
 */
@Timeout(60)
class FerryAuthenticationClientTest {
    private static final String USER = "u";
    private static final String PASSWORD = "p@ss:w/rd";
    /** 127 two-byte chars and one ASCII char: 255 bytes in UTF-8. */
    private static final String LONGEST_USER = "\u00fc".repeat(127) + "x";
    private static final String LONGEST_PASSWORD = "\u00e9".repeat(127) + "y";

    private static DnsStub dns;
    private static EchoServer echo;
    private static RunningProxy ferry;

    @BeforeAll
    static void start() throws Exception {
        echo = EchoServer.start(Loopback.IPV4);
        dns = DnsStub.start(Map.of());
        UserDirectory users = UserDirectory.of(Map.of(
                USER, new PlainCredential(PASSWORD.getBytes(UTF_8)),
                LONGEST_USER, new PlainCredential(LONGEST_PASSWORD.getBytes(UTF_8))));
        LoginThrottle.Settings noThrottle = new LoginThrottle.Settings(Duration.ZERO, Duration.ZERO, 1_000_000,
                Duration.ofMinutes(1), Duration.ofMinutes(10));
        ferry = RunningProxy.start(dns.address(), b -> b
                .policy(new ProxyPolicy(new AccessRules(List.of()), users, true))
                .loginThrottle(noThrottle));
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(ferry, dns, echo);
    }

    @ParameterizedTest
    @EnumSource(value = SocksProtocol.class, names = {"SOCKS5", "SOCKS5H"})
    void rightPasswordOpensATunnel(SocksProtocol protocol) throws Exception {
        try (SocksClient client = SocksClient.builder()
                .proxy(ProxyUri.of(protocol, "127.0.0.1", ferry.address().getPort()))
                .credentials(USER, PASSWORD)
                .build()) {
            Tunnels.echoThroughStreams(client, SocksTarget.of(echo.address()), 1929, Tunnels.TRANSFER_BYTES);
        }
    }

    @Test
    void percentEncodedCredentialsInTheUriAtTheLengthLimit() throws Exception {
        String uri = "socks5h://" + java.net.URLEncoder.encode(LONGEST_USER, UTF_8) + ":"
                + java.net.URLEncoder.encode(LONGEST_PASSWORD, UTF_8) + "@" + ferry.hostAndPort();
        ProxyUri proxy = ProxyUri.parse(uri);
        assertThat(proxy.username()).isEqualTo(LONGEST_USER);
        assertThat(proxy.password()).isEqualTo(LONGEST_PASSWORD);
        try (SocksClient client = SocksClient.builder().proxy(proxy).build()) {
            Tunnels.echoThroughChannel(client, SocksTarget.of(echo.address()), 255, 256 * 1024);
        }
    }

    @Test
    void wrongPasswordIsASocksAuthenticationException() throws Exception {
        try (SocksClient client = SocksClient.builder().proxy("socks5://" + USER + ":wrong@" + ferry.hostAndPort())
                .build()) {
            Throwable failure = Tunnels.failureOf(client.connect(SocksTarget.of(echo.address())));
            assertThat(failure).isInstanceOf(SocksAuthenticationException.class)
                    .hasMessageContaining("refused").hasMessageNotContaining("wrong");
            assertThat(((SocksAuthenticationException) failure).status()).isEqualTo(1);
            assertThat(((SocksException) failure).proxy().password()).isEqualTo("wrong");
            assertThat(failure.getMessage()).contains("socks5://u:***@");
        }
    }

    @Test
    void noCredentialsIsNoAcceptableMethod() throws Exception {
        try (SocksClient client = SocksClient.builder().proxy("socks5h://" + ferry.hostAndPort()).build()) {
            Throwable failure = Tunnels.failureOf(client.connect(SocksTarget.of(echo.address())));
            assertThat(failure).isInstanceOf(NoAcceptableMethodException.class)
                    .hasMessageContaining("user name and password");
            assertThat(((NoAcceptableMethodException) failure).offered()).containsExactly(0);
        }
    }

    @Test
    void socks4IsRefusedWith91WhenPasswordsAreRequired() throws Exception {
        try (SocksClient client = SocksClient.builder().proxy("socks4://" + ferry.hostAndPort()).build()) {
            Throwable failure = Tunnels.failureOf(client.connect(SocksTarget.of(echo.address())));
            assertThat(failure).isInstanceOf(SocksReplyException.class);
            assertThat(((SocksReplyException) failure).replyCode()).isEqualTo(91);
            assertThat(((SocksReplyException) failure).meaning()).isEqualTo("request rejected or failed");
        }
    }
}
