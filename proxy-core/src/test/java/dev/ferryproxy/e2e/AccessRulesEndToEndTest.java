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
import dev.ferryproxy.policy.DomainPattern;
import dev.ferryproxy.policy.PortRange;
import dev.ferryproxy.policy.Rule;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.LogCapture;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RawSocksClient.Socks5Reply;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SocksRequests;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Access rules decided on a live server: by destination name before anything is resolved, by
 * every address a name resolves to (only allowed addresses are dialled), by address however the
 * client spells it, by client address, by user, and by port. A denial is REP 0x02 (SOCKS4: 91),
 * then a close. Each test starts a server with the rules it is about.
 */
@Timeout(60)
class AccessRulesEndToEndTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final InetAddress SECOND = Loopback.ipv4(127, 0, 0, 2);
    private static final InetAddress DENIED = Loopback.ipv4(127, 0, 0, 5);

    private static DnsStub dns;
    private static EchoServer echo;
    private static InetSocketAddress echoAddress;
    /** Shared by the tests of address spellings: DENY 127.0.0.0/8 and ::1/128, then ALLOW everything. */
    private static RunningProxy loopbackDenying;
    private RunningProxy proxy;

    @BeforeAll
    static void startTargets() throws Exception {
        dns = DnsStub.start(Map.of(
                "www.allowed.test", List.of(Loopback.IPV4),
                "www.blocked.test", List.of(Loopback.IPV4),
                "inside.test", List.of(DENIED),
                "split.test", List.of(DENIED, SECOND),
                "mapped.test", List.of(ipv4MappedLoopback()),
                "www.example.test", List.of(Loopback.IPV4),
                "www.other.test", List.of(Loopback.IPV4)));
        echo = EchoServer.start(Loopback.IPV4);
        echoAddress = new InetSocketAddress(Loopback.IPV4, echo.port());
        loopbackDenying = RunningProxy.start(dns.address(), b -> b.policy(new ProxyPolicy(new AccessRules(List.of(
                Rule.builder("rules[0]", Action.DENY)
                        .destinationNetworks(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128")).build(),
                allowAll("rules[1]"))), UserDirectory.empty(), false)).workerThreads(2));
    }

    @AfterAll
    static void stopTargets() throws Exception {
        Closeables.closeAll(loopbackDenying, echo, dns);
    }

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    /** ::ffff:127.0.0.1 kept as an IPv6 address, so the stub serves it as an AAAA record. */
    private static InetAddress ipv4MappedLoopback() {
        byte[] bytes = new byte[16];
        bytes[10] = (byte) 0xFF;
        bytes[11] = (byte) 0xFF;
        bytes[12] = 127;
        bytes[15] = 1;
        try {
            return Inet6Address.getByAddress(null, bytes, -1);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private RunningProxy startProxy(Rule... rules) throws Exception {
        return startProxy(new ProxyPolicy(new AccessRules(List.of(rules)), UserDirectory.empty(), false));
    }

    private RunningProxy startProxy(ProxyPolicy policy) throws Exception {
        proxy = RunningProxy.start(dns.address(), b -> b.policy(policy).workerThreads(2));
        return proxy;
    }

    private static Rule allowAll(String name) {
        return Rule.builder(name, Action.ALLOW).build();
    }

    // ---- by name, before resolving ----

    @Test
    void nameDeniedByPatternIsRefusedWithoutAskingDns() throws Exception {
        RunningProxy server = startProxy(
                Rule.builder("rules[0]", Action.DENY).destinationNames(List.of(DomainPattern.parse("*.blocked.test"))).build(),
                allowAll("rules[1]"));
        try (LogCapture log = LogCapture.of("dev.ferryproxy")) {
            assertSocks5Reply(server, SocksRequests.socks5Connect("www.blocked.test", echo.port()), 0x02);
            assertSocks5Reply(server, SocksRequests.socks5Connect("WWW.Blocked.TEST.", echo.port()), 0x02);
            assertSocks4Reply(server, SocksRequests.socks4aConnect("www.blocked.test", echo.port(), ""), 91);

            assertThat(dns.wasAskedAbout("www.blocked.test")).as("DNS asked about the denied name").isFalse();
            log.awaitMessage("the denial's log line",
                    m -> m.contains("www.blocked.test") && m.contains("denied by rules[0] (deny)"), TIMEOUT);
        }

        try (RawSocksClient client = RawSocksClient.connect(server.address())) {
            assertThat(client.socks5Connect(SocksRequests.socks5Connect("www.allowed.test", echo.port())).rep()).isZero();
            Socks5Login.assertEchoes(client, "allowed name".getBytes(UTF_8));
        }
        assertThat(dns.wasAskedAbout("www.allowed.test")).isTrue();
    }

    // ---- by every resolved address ----

    @Test
    void nameResolvingOnlyToDeniedAddressIsRefused() throws Exception {
        RunningProxy server = startProxy(
                Rule.builder("rules[0]", Action.DENY).destinationNetworks(Cidr.parse("127.0.0.5/32")).build(),
                allowAll("rules[1]"));

        assertSocks5Reply(server, SocksRequests.socks5Connect("inside.test", echo.port()), 0x02);
        assertThat(dns.wasAskedAbout("inside.test")).as("the name had to be resolved to be checked").isTrue();
        assertSocks4Reply(server, SocksRequests.socks4aConnect("inside.test", echo.port(), ""), 91);
    }

    /**
     * split.test resolves to 127.0.0.5 (denied) first and 127.0.0.2 (allowed) second, and both
     * listen on the same port. Addresses are tried in order and the first that accepts wins, so
     * had the denied address been dialled, the proxy would have connected there; the target on
     * 127.0.0.2 seeing the proxy's outbound socket proves it was not.
     */
    @Test
    void onlyTheAllowedAddressesOfANameAreDialled() throws Exception {
        assumeTrue(Loopback.canBind(SECOND) && Loopback.canBind(DENIED), "127.0.0.2 and 127.0.0.5 cannot be bound here");
        RunningProxy server = startProxy(
                Rule.builder("rules[0]", Action.DENY).destinationNetworks(Cidr.parse("127.0.0.5/32")).build(),
                allowAll("rules[1]"));
        try (EchoServer allowed = EchoServer.start(SECOND);
                EchoServer denied = EchoServer.start(new InetSocketAddress(DENIED, allowed.port()));
                RawSocksClient client = RawSocksClient.connect(server.address())) {
            Socks5Reply reply = client.socks5Connect(SocksRequests.socks5Connect("split.test", allowed.port()));

            assertThat(reply.rep()).isZero();
            assertThat(allowed.awaitPeer(TIMEOUT)).as("the allowed address's peer").isEqualTo(reply.bnd());
            Socks5Login.assertEchoes(client, "allowed address".getBytes(UTF_8));
            assertThat(denied.acceptedCount()).as("connections to the denied address").isZero();
        }
    }

    @Test
    void nameWhoseAnswerIsAnIpv4MappedLoopbackAddressIsRefused() throws Exception {
        RunningProxy server = loopbackDenying;

        assertSocks5Reply(server, SocksRequests.socks5Connect("mapped.test", echo.port()), 0x02);
        assertThat(dns.questions()).contains("AAAA mapped.test");
    }

    // ---- by address, however it is spelled ----

    /**
     * A "name" that only spells a loopback address (as inet_aton or an IPv6 parser reads it) is
     * that address: the rule on 127.0.0.0/8 or ::1 denies it, and no resolver is asked.
     */
    @ParameterizedTest(name = "SOCKS5 domain \"{0}\"")
    @ValueSource(strings = {"127.0.0.1", "127.1", "127.0.1", "0177.0.0.1", "0x7f.0.0.1", "0x7F.1", "2130706433",
        "0x7f000001", "017700000001", "127.0.0.1.", "127.1.", "::1", "[::1]", "0:0:0:0:0:0:0:1",
        "::ffff:127.0.0.1", "::ffff:7f00:1", "[::ffff:127.0.0.1]"})
    void numericSpellingOfLoopbackIsRefusedWithoutAskingDns(String host) throws Exception {
        RunningProxy server = loopbackDenying;

        assertSocks5Reply(server, SocksRequests.socks5Connect(host, echo.port()), 0x02);
        assertThat(dns.wasAskedAbout(host)).as("DNS asked about %s", host).isFalse();
    }

    @Test
    void loopbackByAddressTypeIsRefused() throws Exception {
        RunningProxy server = loopbackDenying;
        InetAddress mapped = ipv4MappedLoopback();

        assertSocks5Reply(server, SocksRequests.socks5Connect(new InetSocketAddress(mapped, echo.port())), 0x02);
        assertSocks5Reply(server, SocksRequests.socks5Connect(new InetSocketAddress(Loopback.IPV6, echo.port())), 0x02);
        assertSocks5Reply(server, SocksRequests.socks5Connect(echoAddress), 0x02);
        assertSocks4Reply(server, SocksRequests.socks4Connect(echoAddress), 91);
        assertSocks4Reply(server, SocksRequests.socks4aConnect("127.1", echo.port(), ""), 91);
        assertSocks4Reply(server, SocksRequests.socks4aConnect("0x7f.0.0.1", echo.port(), "user"), 91);
        assertThat(dns.wasAskedAbout("127.1")).isFalse();
        assertThat(dns.wasAskedAbout("0x7f.0.0.1")).isFalse();
    }

    @Test
    void localhostFromTheHostsFileIsRefusedToo() throws Exception {
        RunningProxy server = loopbackDenying;

        assertSocks5Reply(server, SocksRequests.socks5Connect("localhost", echo.port()), 0x02);
    }

    // ---- by client address ----

    @Test
    void ruleOnClientAddressDeniesThatClientOnly() throws Exception {
        assumeTrue(Loopback.canBind(SECOND), "127.0.0.2 cannot be bound here");
        RunningProxy server = startProxy(
                Rule.builder("rules[0]", Action.DENY).clients(Cidr.parse("127.0.0.2/32")).build(),
                allowAll("rules[1]"));

        try (RawSocksClient client = RawSocksClient.connectFrom(SECOND, server.address())) {
            assertThat(client.socks5Connect(SocksRequests.socks5Connect(echoAddress)).rep()).isEqualTo(0x02);
            Socks5Login.assertClosedByServer(client);
        }
        try (RawSocksClient client = RawSocksClient.connectFrom(SECOND, server.address())) {
            client.send(SocksRequests.socks4Connect(echoAddress));
            assertThat(client.readSocks4Reply().status()).isEqualTo(91);
            Socks5Login.assertClosedByServer(client);
        }
        try (RawSocksClient client = RawSocksClient.connectFrom(Loopback.IPV4, server.address())) {
            assertThat(client.socks5Connect(SocksRequests.socks5Connect(echoAddress)).rep()).isZero();
            Socks5Login.assertEchoes(client, "from 127.0.0.1".getBytes(UTF_8));
        }
    }

    // ---- by user ----

    @Test
    void ruleOnUserAllowsThatUserOnly() throws Exception {
        UserDirectory users = UserDirectory.of(Map.of(
                "alice", new PlainCredential("secret".getBytes(UTF_8)),
                "bob", new PlainCredential("pw".getBytes(UTF_8))));
        RunningProxy server = startProxy(new ProxyPolicy(new AccessRules(List.of(
                Rule.builder("rules[0]", Action.ALLOW).users("alice")
                        .destinationNames(List.of(DomainPattern.parse("*.example.test"))).build(),
                Rule.builder("rules[1]", Action.DENY).build())), users, true));

        try (RawSocksClient client = RawSocksClient.connect(server.address())) {
            Socks5Reply reply = Socks5Login.loginAndConnect(client, "alice", "secret",
                    SocksRequests.socks5Connect("www.example.test", echo.port()));
            assertThat(reply.rep()).isZero();
            Socks5Login.assertEchoes(client, "alice may".getBytes(UTF_8));
        }
        assertLoggedInReply(server, "bob", "pw", SocksRequests.socks5Connect("www.example.test", echo.port()), 0x02);
        assertLoggedInReply(server, "alice", "secret", SocksRequests.socks5Connect("www.other.test", echo.port()), 0x02);
        // The rule names names: a request by address never matches it.
        assertLoggedInReply(server, "alice", "secret", SocksRequests.socks5Connect(echoAddress), 0x02);
        assertThat(dns.wasAskedAbout("www.other.test")).as("DNS asked about a name no rule allows").isFalse();
    }

    /**
     * Passwords optional, but the only allowing rule names a user: a client that chose no
     * authentication has no user, so no rule allows it, while the same request after a login is served.
     */
    @Test
    void ruleOnUserIsNotMetByAClientThatDidNotLogIn() throws Exception {
        UserDirectory users = UserDirectory.of(Map.of("alice", new PlainCredential("secret".getBytes(UTF_8))));
        RunningProxy server = startProxy(new ProxyPolicy(new AccessRules(List.of(
                Rule.builder("rules[0]", Action.ALLOW).users("alice").build())), users, false));

        assertSocks5Reply(server, SocksRequests.socks5Connect(echoAddress), 0x02);
        try (RawSocksClient client = RawSocksClient.connect(server.address())) {
            client.send(SocksRequests.socks5GreetingOffering(Socks5Login.NO_AUTH_METHOD, Socks5Login.PASSWORD_METHOD));
            assertThat(RawSocksClient.hex(client.read(2))).as("a client offering both must log in").isEqualTo("05 02");
            client.send(SocksRequests.rfc1929Login("alice", "secret"));
            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("01 00");
            client.send(SocksRequests.socks5Connect(echoAddress));
            assertThat(client.readSocks5Reply().rep()).isZero();
            Socks5Login.assertEchoes(client, "logged in by choice".getBytes(UTF_8));
        }
    }

    // ---- by port ----

    /**
     * Only ports 1-1023 are allowed; the echo target listens on an ephemeral (high) port, so it
     * is denied, by no rule matching. A range that holds the target's port lets it through.
     */
    @Test
    void portOutsideTheAllowedRangesIsRefused() throws Exception {
        assumeTrue(echo.port() > 1023, "the echo target got a privileged port");
        RunningProxy server = startProxy(Rule.builder("rules[0]", Action.ALLOW).destinationPorts(PortRange.of(1, 1023)).build());

        assertSocks5Reply(server, SocksRequests.socks5Connect(echoAddress), 0x02);
        assertSocks5Reply(server, SocksRequests.socks5Connect("www.allowed.test", echo.port()), 0x02);
        assertSocks4Reply(server, SocksRequests.socks4Connect(echoAddress), 91);
    }

    @Test
    void portInsideAnAllowedRangeIsServed() throws Exception {
        int port = echo.port();
        RunningProxy server = startProxy(Rule.builder("rules[0]", Action.ALLOW)
                .destinationPorts(PortRange.of(1, 1023), PortRange.of(port, port)).build());

        try (RawSocksClient client = RawSocksClient.connect(server.address())) {
            assertThat(client.socks5Connect(SocksRequests.socks5Connect(echoAddress)).rep()).isZero();
            Socks5Login.assertEchoes(client, "exact port".getBytes(UTF_8));
        }
        server.close();
        proxy = null;

        RunningProxy wide = startProxy(Rule.builder("rules[0]", Action.ALLOW)
                .destinationPorts(PortRange.of(port - 1, 65535)).build());
        try (RawSocksClient client = RawSocksClient.connect(wide.address())) {
            assertThat(client.socks5Connect(SocksRequests.socks5Connect("www.allowed.test", port)).rep()).isZero();
            Socks5Login.assertEchoes(client, "range up to 65535".getBytes(UTF_8));
        }
    }

    // ---- helpers ----

    private static void assertSocks5Reply(RunningProxy server, byte[] request, int rep) throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(server.address())) {
            Socks5Reply reply = client.socks5Connect(request);
            assertThat(reply.rep()).as("REP for %s", RawSocksClient.hex(request)).isEqualTo(rep);
            if (rep != 0) {
                Socks5Login.assertClosedByServer(client);
            }
        }
    }

    private static void assertSocks4Reply(RunningProxy server, byte[] request, int status) throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(server.address())) {
            client.send(request);
            assertThat(client.readSocks4Reply().status()).as("CD for %s", RawSocksClient.hex(request)).isEqualTo(status);
            if (status != 90) {
                Socks5Login.assertClosedByServer(client);
            }
        }
    }

    private static void assertLoggedInReply(RunningProxy server, String user, String password, byte[] request, int rep)
            throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(server.address())) {
            Socks5Reply reply = Socks5Login.loginAndConnect(client, user, password, request);
            assertThat(reply.rep()).as("REP for %s as %s", RawSocksClient.hex(request), user).isEqualTo(rep);
            if (rep != 0) {
                Socks5Login.assertClosedByServer(client);
            }
        }
    }
}
