package dev.ferryproxy.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferryproxy.auth.PlainCredential;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Action;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.policy.Rule;
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

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * SOCKS4 and SOCKS4a carry no password. On a server that requires passwords they are refused
 * (CD 91), unless the rule that decides the request allows it and names SOCKS version 4 itself:
 * an operator opens SOCKS4 on purpose, for the clients (or USERIDs) that rule names.
 */
@Timeout(60)
class Socks4WithPasswordsEndToEndTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String NAME = "echo.socks4.test";
    /** Asked for only by the test that expects it never to be resolved (the stub's record is shared). */
    private static final String REFUSED_NAME = "refused.socks4.test";
    private static final InetAddress SECOND = Loopback.ipv4(127, 0, 0, 2);
    private static final UserDirectory USERS = UserDirectory.of(Map.of("alice", new PlainCredential("secret".getBytes(UTF_8))));

    private static DnsStub dns;
    private static EchoServer echo;
    private static InetSocketAddress echoAddress;
    private RunningProxy proxy;

    @BeforeAll
    static void startTargets() throws Exception {
        dns = DnsStub.start(Map.of(NAME, List.of(Loopback.IPV4), REFUSED_NAME, List.of(Loopback.IPV4)));
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

    private RunningProxy startProxy(Rule... rules) throws Exception {
        ProxyPolicy policy = new ProxyPolicy(new AccessRules(List.of(rules)), USERS, true);
        proxy = RunningProxy.start(dns.address(), b -> b.policy(policy).workerThreads(2));
        return proxy;
    }

    @Test
    void refusedUnderTheDefaultRules() throws Exception {
        RunningProxy server = startProxy();
        try (LogCapture log = LogCapture.of("dev.ferryproxy")) {
            assertSocks4Status(server, Loopback.IPV4, SocksRequests.socks4Connect(echoAddress), 91);
            assertSocks4Status(server, Loopback.IPV4, SocksRequests.socks4aConnect(REFUSED_NAME, echo.port(), ""), 91);
            // A USERID that happens to be a user's name is no login.
            assertSocks4Status(server, Loopback.IPV4,
                    SocksRequests.socks4Request(SocksRequests.SOCKS4_CONNECT, echoAddress, "alice"), 91);

            assertThat(dns.wasAskedAbout(REFUSED_NAME)).as("DNS asked for a refused SOCKS4a request").isFalse();
            log.awaitMessage("the refusal's log line", m -> m.contains("SOCKS4 carries no password"), TIMEOUT);
        }
    }

    @Test
    void refusedWhenTheAllowingRuleDoesNotNameSocks4() throws Exception {
        RunningProxy server = startProxy(
                Rule.builder("rules[0]", Action.ALLOW).clients(Cidr.parse("127.0.0.0/8")).build());

        assertSocks4Status(server, Loopback.IPV4, SocksRequests.socks4Connect(echoAddress), 91);
        assertSocks4Status(server, Loopback.IPV4, SocksRequests.socks4aConnect(NAME, echo.port(), ""), 91);
    }

    @Test
    void servedWhenARuleAllowsSocks4ForTheClient() throws Exception {
        RunningProxy server = startProxy(
                Rule.builder("rules[0]", Action.ALLOW).clients(Cidr.parse("127.0.0.0/8")).socksVersions(4).build(),
                Rule.builder("rules[1]", Action.ALLOW).socksVersions(5).build());

        assertSocks4Echoes(server, Loopback.IPV4, SocksRequests.socks4Connect(echoAddress));
        assertSocks4Echoes(server, Loopback.IPV4, SocksRequests.socks4aConnect(NAME, echo.port(), ""));
        assertThat(dns.wasAskedAbout(NAME)).isTrue();

        // SOCKS5 clients still need their password.
        try (RawSocksClient client = RawSocksClient.connect(server.address())) {
            client.send(SocksRequests.socks5Greeting());
            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 ff");
            Socks5Login.assertClosedByServer(client);
        }
        try (RawSocksClient client = Socks5Login.tunnel(server.address(), "alice", "secret", echoAddress)) {
            Socks5Login.assertEchoes(client, "SOCKS5 with a password".getBytes(UTF_8));
        }
    }

    @Test
    void socks4RuleForOtherClientsDoesNotOpenSocks4ForThisOne() throws Exception {
        assumeTrue(Loopback.canBind(SECOND), "127.0.0.2 cannot be bound here");
        RunningProxy server = startProxy(
                Rule.builder("rules[0]", Action.ALLOW).clients(Cidr.parse("127.0.0.2/32")).socksVersions(4).build(),
                Rule.builder("rules[1]", Action.ALLOW).build());

        assertSocks4Status(server, Loopback.IPV4, SocksRequests.socks4Connect(echoAddress), 91);
        assertSocks4Echoes(server, SECOND, SocksRequests.socks4Connect(echoAddress));
    }

    @Test
    void ruleOnTheUseridAllowsThatUseridOnly() throws Exception {
        RunningProxy server = startProxy(
                Rule.builder("rules[0]", Action.ALLOW).users("legacy").socksVersions(4).build(),
                Rule.builder("rules[1]", Action.ALLOW).socksVersions(5).build());

        assertSocks4Echoes(server, Loopback.IPV4,
                SocksRequests.socks4Request(SocksRequests.SOCKS4_CONNECT, echoAddress, "legacy"));
        assertSocks4Echoes(server, Loopback.IPV4, SocksRequests.socks4aConnect(NAME, echo.port(), "legacy"));
        assertSocks4Status(server, Loopback.IPV4,
                SocksRequests.socks4Request(SocksRequests.SOCKS4_CONNECT, echoAddress, "other"), 91);
        assertSocks4Status(server, Loopback.IPV4,
                SocksRequests.socks4Request(SocksRequests.SOCKS4_CONNECT, echoAddress, "Legacy"), 91);
        assertSocks4Status(server, Loopback.IPV4, SocksRequests.socks4Connect(echoAddress), 91);
        assertSocks4Status(server, Loopback.IPV4, SocksRequests.socks4aConnect(NAME, echo.port(), "other"), 91);
    }

    /**
     * A rule about destination networks ahead of the SOCKS4 rule: a SOCKS4a name cannot be
     * decided before it is resolved. Resolved, its address is not in the denied network, so the
     * SOCKS4 rule decides and allows it, just as it allows the same address sent by SOCKS4.
     */
    @Test
    void socks4aNameIsDecidedOnItsAddressWhenAnEarlierRuleNeedsIt() throws Exception {
        RunningProxy server = startProxy(
                Rule.builder("rules[0]", Action.DENY).destinationNetworks(Cidr.parse("10.0.0.0/8")).build(),
                Rule.builder("rules[1]", Action.ALLOW).clients(Cidr.parse("127.0.0.0/8")).socksVersions(4).build(),
                Rule.builder("rules[2]", Action.ALLOW).socksVersions(5).build());

        assertSocks4Echoes(server, Loopback.IPV4, SocksRequests.socks4Connect(echoAddress));
        assertSocks4Echoes(server, Loopback.IPV4, SocksRequests.socks4aConnect(NAME, echo.port(), ""));
    }

    /** The same, where the address decides against SOCKS4: the rule that matches it does not name version 4. */
    @Test
    void socks4aNameResolvingWhereNoSocks4RuleAllowsIsRefused() throws Exception {
        RunningProxy server = startProxy(
                Rule.builder("rules[0]", Action.ALLOW).destinationNetworks(Cidr.parse("127.0.0.0/8")).build(),
                Rule.builder("rules[1]", Action.ALLOW).clients(Cidr.parse("127.0.0.0/8")).socksVersions(4).build());

        assertSocks4Status(server, Loopback.IPV4, SocksRequests.socks4Connect(echoAddress), 91);
        assertSocks4Status(server, Loopback.IPV4, SocksRequests.socks4aConnect(NAME, echo.port(), ""), 91);
    }

    private static void assertSocks4Status(RunningProxy server, InetAddress from, byte[] request, int status)
            throws Exception {
        try (RawSocksClient client = RawSocksClient.connectFrom(from, server.address())) {
            client.send(request);
            assertThat(client.readSocks4Reply().status()).as("CD for %s from %s", RawSocksClient.hex(request), from)
                    .isEqualTo(status);
            if (status != 90) {
                Socks5Login.assertClosedByServer(client);
            }
        }
    }

    private static void assertSocks4Echoes(RunningProxy server, InetAddress from, byte[] request) throws Exception {
        try (RawSocksClient client = RawSocksClient.connectFrom(from, server.address())) {
            client.send(request);
            assertThat(client.readSocks4Reply().status()).as("CD for %s from %s", RawSocksClient.hex(request), from)
                    .isEqualTo(90);
            Socks5Login.assertEchoes(client, "SOCKS4 allowed".getBytes(UTF_8));
        }
    }
}
