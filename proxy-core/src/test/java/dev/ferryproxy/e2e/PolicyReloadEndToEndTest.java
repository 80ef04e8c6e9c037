package dev.ferryproxy.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.auth.PlainCredential;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Action;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.policy.Rule;
import dev.ferryproxy.server.ProxyServerConfig;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.LogCapture;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SocksRequests;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * {@code ProxyServer.updatePolicy} while clients are connected: tunnels that are up keep
 * flowing, new logins and requests meet the new users and rules, and, only when configured, the
 * connections of users the new policy removed are closed.
 */
@Timeout(60)
class PolicyReloadEndToEndTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final UserDirectory ALICE_AND_BOB = UserDirectory.of(Map.of(
            "alice", new PlainCredential("secret".getBytes(UTF_8)),
            "bob", new PlainCredential("pw".getBytes(UTF_8))));
    private static final UserDirectory BOB_ONLY = UserDirectory.of(Map.of(
            "bob", new PlainCredential("pw".getBytes(UTF_8))));
    private static final AccessRules DEFAULT_RULES = new AccessRules(List.of());

    private static DnsStub dns;
    private static EchoServer echo;
    private static InetSocketAddress echoAddress;
    private RunningProxy proxy;

    @BeforeAll
    static void startTargets() throws Exception {
        dns = DnsStub.start(Map.of());
        echo = EchoServer.start(Loopback.IPV4);
        echoAddress = new InetSocketAddress(Loopback.IPV4, echo.port());
    }

    @AfterAll
    static void stopTargets() throws Exception {
        Closeables.closeAll(echo, dns);
    }

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private RunningProxy startProxy(ProxyPolicy policy, UnaryOperator<ProxyServerConfig.Builder> more) throws Exception {
        proxy = RunningProxy.start(dns.address(), b -> more.apply(b.policy(policy).workerThreads(2)));
        return proxy;
    }

    @Test
    void removedUsersOpenTunnelKeepsFlowingByDefaultButSheCannotLogInAgain() throws Exception {
        RunningProxy server = startProxy(new ProxyPolicy(DEFAULT_RULES, ALICE_AND_BOB, true), UnaryOperator.identity());
        try (RawSocksClient alice = Socks5Login.tunnel(server.address(), "alice", "secret", echoAddress)) {
            Socks5Login.assertEchoes(alice, "before the reload".getBytes(UTF_8));

            server.server().updatePolicy(new ProxyPolicy(DEFAULT_RULES, BOB_ONLY, true));

            Socks5Login.assertEchoes(alice, "after the reload".getBytes(UTF_8));
            try (RawSocksClient again = RawSocksClient.connect(server.address())) {
                assertThat(Socks5Login.login(again, "alice", "secret")).as("alice's new login").isEqualTo(1);
                Socks5Login.assertClosedByServer(again);
            }
            try (RawSocksClient bob = Socks5Login.tunnel(server.address(), "bob", "pw", echoAddress)) {
                Socks5Login.assertEchoes(bob, "bob is still a user".getBytes(UTF_8));
            }
            Socks5Login.assertEchoes(alice, "still flowing".getBytes(UTF_8));
        }
    }

    @Test
    void removedUsersConnectionsAreClosedWhenConfigured() throws Exception {
        RunningProxy server = startProxy(new ProxyPolicy(DEFAULT_RULES, ALICE_AND_BOB, true),
                b -> b.closeConnectionsOfRemovedUsers(true));
        try (LogCapture log = LogCapture.of("dev.ferryproxy");
                RawSocksClient aliceTunnel = Socks5Login.tunnel(server.address(), "alice", "secret", echoAddress);
                RawSocksClient aliceLoggedIn = RawSocksClient.connect(server.address());
                RawSocksClient bobTunnel = Socks5Login.tunnel(server.address(), "bob", "pw", echoAddress)) {
            // A second connection of alice's: logged in, no request yet.
            assertThat(Socks5Login.login(aliceLoggedIn, "alice", "secret")).isZero();
            Socks5Login.assertEchoes(aliceTunnel, "alice before".getBytes(UTF_8));
            Socks5Login.assertEchoes(bobTunnel, "bob before".getBytes(UTF_8));

            server.server().updatePolicy(new ProxyPolicy(DEFAULT_RULES, BOB_ONLY, true));

            // Each read is bounded by the client's 5 s timeout: end of stream must come first.
            Socks5Login.assertClosedByServer(aliceTunnel);
            Socks5Login.assertClosedByServer(aliceLoggedIn);
            Socks5Login.assertEchoes(bobTunnel, "bob after".getBytes(UTF_8));
            log.awaitMessage("the reload's log line",
                    m -> m.contains("closed 2 connection(s) of users no longer configured"), TIMEOUT);
        }
    }

    @Test
    void reloadedRulesApplyToNewRequestsWhileOpenTunnelsKeepFlowing() throws Exception {
        ProxyPolicy open = new ProxyPolicy(DEFAULT_RULES, UserDirectory.empty(), false);
        RunningProxy server = startProxy(open, UnaryOperator.identity());
        try (RawSocksClient tunnel = RawSocksClient.socks5Tunnel(server.address(), echoAddress)) {
            Socks5Login.assertEchoes(tunnel, "before".getBytes(UTF_8));

            server.server().updatePolicy(new ProxyPolicy(new AccessRules(List.of(
                    Rule.builder("reloaded[0]", Action.DENY).destinationNetworks(Cidr.parse("127.0.0.0/8")).build(),
                    Rule.builder("reloaded[1]", Action.ALLOW).build())), UserDirectory.empty(), false));

            Socks5Login.assertEchoes(tunnel, "after".getBytes(UTF_8));
            try (RawSocksClient denied = RawSocksClient.connect(server.address())) {
                assertThat(denied.socks5Connect(SocksRequests.socks5Connect(echoAddress)).rep()).isEqualTo(0x02);
                Socks5Login.assertClosedByServer(denied);
            }

            server.server().updatePolicy(open);
            try (RawSocksClient allowedAgain = RawSocksClient.socks5Tunnel(server.address(), echoAddress)) {
                Socks5Login.assertEchoes(allowedAgain, "allowed again".getBytes(UTF_8));
            }
            Socks5Login.assertEchoes(tunnel, "throughout".getBytes(UTF_8));
        }
    }

    /**
     * A handshake under way when the policy changes finishes under the policy it began with (as
     * {@code updatePolicy} documents): this client greeted without a password before passwords
     * became required, and its request is still served.
     */
    @Test
    void handshakeBegunBeforeTheReloadFinishesUnderTheOldPolicy() throws Exception {
        RunningProxy server = startProxy(new ProxyPolicy(DEFAULT_RULES, ALICE_AND_BOB, false), UnaryOperator.identity());
        try (RawSocksClient early = RawSocksClient.connect(server.address())) {
            early.greetNoAuth();

            server.server().updatePolicy(new ProxyPolicy(DEFAULT_RULES, ALICE_AND_BOB, true));

            early.send(SocksRequests.socks5Connect(echoAddress));
            assertThat(early.readSocks5Reply().rep()).isZero();
            Socks5Login.assertEchoes(early, "old policy".getBytes(UTF_8));
        }
        try (RawSocksClient late = RawSocksClient.connect(server.address())) {
            late.send(SocksRequests.socks5Greeting());
            assertThat(RawSocksClient.hex(late.read(2))).as("a new client must log in").isEqualTo("05 ff");
            Socks5Login.assertClosedByServer(late);
        }
    }

    /**
     * Issue 13, finding 6: a client that greeted before a reload changed a password must not log in
     * with the old one afterwards, even though its handshake began under the old users (and even
     * when the old password had passed lately, so a cache could have known it).
     */
    @Test
    void aPasswordChangedByAReloadIsCheckedAsItIsNowOnConnectionsOpenedBefore() throws Exception {
        RunningProxy server = startProxy(new ProxyPolicy(DEFAULT_RULES, ALICE_AND_BOB, true), UnaryOperator.identity());
        try (RawSocksClient earlier = Socks5Login.tunnel(server.address(), "alice", "secret", echoAddress);
                RawSocksClient withOldPassword = RawSocksClient.connect(server.address());
                RawSocksClient withNewPassword = RawSocksClient.connect(server.address())) {
            Socks5Login.greetOfferingPassword(withOldPassword);
            Socks5Login.greetOfferingPassword(withNewPassword);

            server.server().updatePolicy(new ProxyPolicy(DEFAULT_RULES, UserDirectory.of(Map.of(
                    "alice", new PlainCredential("changed".getBytes(UTF_8)))), true));

            assertThat(Socks5Login.sendLogin(withOldPassword, "alice", "secret")).as("the revoked password").isEqualTo(1);
            Socks5Login.assertClosedByServer(withOldPassword);
            assertThat(Socks5Login.sendLogin(withNewPassword, "alice", "changed")).as("the new password").isZero();
            Socks5Login.assertEchoes(earlier, "the tunnel from before keeps flowing".getBytes(UTF_8));
        }
    }
}
