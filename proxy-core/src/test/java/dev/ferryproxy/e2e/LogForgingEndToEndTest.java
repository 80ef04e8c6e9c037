package dev.ferryproxy.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.auth.PlainCredential;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.LogCapture;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SocksRequests;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Issue 13, finding 2: a client chooses its SOCKS4 USERID, its SOCKS5 user name and the domain
 * names it asks for. Each of them, sent with line breaks and a forged server line behind them,
 * reaches the log as one message with the breaks escaped, and the forged line is not a line.
 */
@Timeout(60)
class LogForgingEndToEndTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** What the attack wants to appear as a line of its own in the server's output. */
    private static final String FORGED_LINE = "2026-12-07T09:00:00.000Z INFO  FerryCommand - Ferry stopping on SIGTERM";
    private static final String ATTACK = "mallory')\n" + FORGED_LINE + "\r\n{\"forged\":true}";

    private static DnsStub dns;
    private static RunningProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of());
        UserDirectory users = UserDirectory.of(Map.of("alice", new PlainCredential("secret".getBytes(UTF_8))));
        proxy = RunningProxy.start(dns.address(),
                b -> b.policy(new ProxyPolicy(new AccessRules(List.of()), users, true)));
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        Closeables.closeAll(dns);
    }

    @Test
    void aSocks4UseridWithLineBreaksIsOneEscapedMessage() throws Exception {
        try (LogCapture log = LogCapture.of("dev.ferryproxy");
                RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(SocksRequests.socks4Request(0x01, new InetSocketAddress("127.0.0.1", 9), ATTACK));
            assertThat(client.readSocks4Reply().status()).as("SOCKS4 without a password is refused").isEqualTo(91);

            String line = log.awaitMessage("the refusal naming the USERID", m -> m.contains("SOCKS4 carries no password"),
                    TIMEOUT);
            assertThat(line).contains("(user 'mallory\\x27)\\x0a" + FORGED_LINE + "\\x0d\\x0a{\"forged\":true}')");
            assertOneLineEach(log);
        }
    }

    @Test
    void aSocks5UserNameWithLineBreaksIsOneEscapedMessage() throws Exception {
        try (LogCapture log = LogCapture.of("dev.ferryproxy");
                RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            assertThat(Socks5Login.login(client, ATTACK, "guess")).isEqualTo(1);

            String line = log.awaitMessage("the failed login", m -> m.startsWith("failed login as"), TIMEOUT);
            assertThat(line).startsWith("failed login as 'mallory\\x27)\\x0a" + FORGED_LINE);
            assertOneLineEach(log);
        }
    }

    @Test
    void aDomainNameWithLineBreaksIsEscapedInTheFailureAndInTheResolversMessage() throws Exception {
        String name = "x.invalid\n" + FORGED_LINE;
        try (LogCapture log = LogCapture.of("dev.ferryproxy");
                RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            RawSocksClient.Socks5Reply reply = Socks5Login.loginAndConnect(client, "alice", "secret",
                    SocksRequests.socks5Connect(name, 80));
            assertThat(reply.rep()).as("a name that does not resolve").isNotZero();

            String line = log.awaitMessage("the failed CONNECT", m -> m.contains("failed (") && m.contains("x.invalid"),
                    TIMEOUT);
            assertThat(line).contains("x.invalid\\x0a2026-12-07T09:00:00.000Z");
            assertOneLineEach(log);
        }
    }

    /** No message recorded holds a line break, whatever its source, and none starts the forged line. */
    private static void assertOneLineEach(LogCapture log) {
        for (String message : log.messages()) {
            assertThat(message).as("a logged message").doesNotContain("\n", "\r", "\u2028", "\u2029");
        }
    }
}
