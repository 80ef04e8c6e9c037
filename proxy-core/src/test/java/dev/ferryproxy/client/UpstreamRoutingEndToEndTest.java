package dev.ferryproxy.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.auth.PlainCredential;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.connect.Upstream;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Action;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.policy.DomainPattern;
import dev.ferryproxy.policy.Rule;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DanteServer;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RunningProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Upstream chaining in the server: rules of the Ferry in front ("front") send what they allow
 * through parent proxies, here other Ferry servers and Dante.
 *
 * <p>The proof that a request really went through a parent is a name that only the parent's DNS
 * knows: the front's DNS stub has never heard of it, so a direct attempt would fail with 0x04,
 * and the front's stub must not even have been asked.
 */
@Timeout(60)
class UpstreamRoutingEndToEndTest {
    /** Known only to the parents' DNS. */
    private static final String HIDDEN = "hidden.parent.test";
    /** Known only to the last of two parents. */
    private static final String DEEP = "deep.last.test";
    /** Known to the front's DNS: the front resolves it and checks the address. */
    private static final String FRONT_NAME = "front.known.test";
    private static final int BYTES = 256 * 1024;

    private static EchoServer echo;
    private static DnsStub frontDns;
    private static DnsStub parentDns;
    private static DnsStub lastDns;
    private static RunningProxy parent;
    private static RunningProxy lastParent;
    private static RunningProxy guardedParent;
    private static RunningProxy denyingParent;
    private static final List<RunningProxy> fronts = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        echo = EchoServer.start(Loopback.IPV4);
        frontDns = DnsStub.start(Map.of(FRONT_NAME, List.of(Loopback.IPV4)));
        parentDns = DnsStub.start(Map.of(HIDDEN, List.of(Loopback.IPV4)));
        lastDns = DnsStub.start(Map.of(DEEP, List.of(Loopback.IPV4)));
        parent = RunningProxy.start(parentDns.address());
        lastParent = RunningProxy.start(lastDns.address());
        guardedParent = RunningProxy.start(parentDns.address(), b -> b.policy(new ProxyPolicy(
                new AccessRules(List.of()), UserDirectory.of(Map.of("relay", new PlainCredential("s3cret".getBytes(UTF_8)))),
                true)));
        denyingParent = RunningProxy.start(parentDns.address(), b -> b.policy(new ProxyPolicy(
                new AccessRules(List.of(Rule.builder("parent-denies", Action.DENY).build())), UserDirectory.empty(),
                false)));
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(fronts.toArray(new AutoCloseable[0]));
        Closeables.closeAll(denyingParent, guardedParent, lastParent, parent, lastDns, parentDns, frontDns, echo);
    }

    /** A front server whose rules are {@code rules}, with {@code upstreams}, asking only the front's DNS. */
    private static RunningProxy front(List<Rule> rules, Upstream... upstreams) throws Exception {
        Map<String, Upstream> byName = new java.util.LinkedHashMap<>();
        for (Upstream upstream : upstreams) {
            byName.put(upstream.name(), upstream);
        }
        RunningProxy front = RunningProxy.start(frontDns.address(), b -> b.policy(
                new ProxyPolicy(new AccessRules(rules), UserDirectory.of(Map.of(
                        "alice", new PlainCredential("alice-pw".getBytes(UTF_8)),
                        "bob", new PlainCredential("bob-pw".getBytes(UTF_8)))), false, byName)));
        fronts.add(front);
        return front;
    }

    private static Upstream upstream(String name, String... uris) {
        List<ProxyUri> hops = new ArrayList<>();
        for (String uri : uris) {
            hops.add(ProxyUri.parse(uri));
        }
        return new Upstream(name, hops);
    }

    private static Rule allVia(String upstream) {
        return Rule.builder("all-via-" + upstream, Action.ALLOW).via(upstream).build();
    }

    private static SocksClient client(RunningProxy front, String scheme) {
        return SocksClient.builder().proxy(scheme + "://" + front.hostAndPort()).build();
    }

    private static SocksReplyException refusal(SocksClient client, SocksTarget target) throws Exception {
        Throwable failure = Tunnels.failureOf(client.connect(target));
        assertThat(failure).isInstanceOf(SocksReplyException.class);
        return (SocksReplyException) failure;
    }

    @Test
    void everythingThroughOneParentThatAloneKnowsTheName() throws Exception {
        RunningProxy front = front(List.of(allVia("p")), upstream("p", "socks5h://" + parent.hostAndPort()));
        try (SocksClient client = client(front, "socks5h")) {
            Tunnels.echoThroughStreams(client, SocksTarget.of(HIDDEN, echo.port()), 1, BYTES);
            Tunnels.echoThroughChannel(client, SocksTarget.of(HIDDEN, echo.port()), 2, BYTES);
        }
        try (SocksClient socks4aClient = client(front, "socks4a")) {
            Tunnels.echoThroughStreams(socks4aClient, SocksTarget.of(HIDDEN, echo.port()), 3, BYTES);
        }
        assertThat(parentDns.wasAskedAbout(HIDDEN)).isTrue();
        assertThat(frontDns.wasAskedAbout(HIDDEN)).as("the front leaves the name to the parent").isFalse();
    }

    @Test
    void throughTwoHopsOfDifferentVersions() throws Exception {
        RunningProxy front = front(List.of(allVia("two")),
                upstream("two", "socks5h://" + parent.hostAndPort(), "socks4a://" + lastParent.hostAndPort()));
        try (SocksClient client = client(front, "socks5h")) {
            Tunnels.echoThroughStreams(client, SocksTarget.of(DEEP, echo.port()), 4, BYTES);
        }
        assertThat(lastDns.wasAskedAbout(DEEP)).isTrue();
        assertThat(parentDns.wasAskedAbout(DEEP)).as("the middle hop only relays").isFalse();
    }

    @Test
    void routesByUserAndByDestinationNameAndTheRestGoesDirect() throws Exception {
        RunningProxy front = front(List.of(
                Rule.builder("alice-via-p", Action.ALLOW).users("alice").via("p").build(),
                Rule.builder("hidden-names-via-p", Action.ALLOW).destinationNames(DomainPattern.parse("*.parent.test"))
                        .via("p").build(),
                Rule.builder("rest-direct", Action.ALLOW).build()),
                upstream("p", "socks5h://" + parent.hostAndPort()));
        try (SocksClient alice = SocksClient.builder().proxy("socks5h://" + front.hostAndPort())
                .credentials("alice", "alice-pw").build();
                SocksClient bob = SocksClient.builder().proxy("socks5h://" + front.hostAndPort())
                        .credentials("bob", "bob-pw").build()) {
            // alice goes through the parent for everything, so the parent's name works for her.
            Tunnels.echoThroughStreams(alice, SocksTarget.of(HIDDEN, echo.port()), 5, BYTES);
            // bob is routed by destination: *.parent.test goes through the parent ...
            Tunnels.echoThroughStreams(bob, SocksTarget.of(HIDDEN, echo.port()), 6, BYTES);
            // ... and the rest directly: a name only the last parent knows is unknown here (0x04).
            assertThat(refusal(bob, SocksTarget.of(DEEP, echo.port())).replyCode()).isEqualTo(4);
            assertThat(frontDns.wasAskedAbout(DEEP)).as("the direct route resolved at the front").isTrue();
            Tunnels.echoThroughStreams(bob, SocksTarget.of(FRONT_NAME, echo.port()), 7, BYTES);
        }
    }

    @Test
    void aNameResolvedAtTheFrontGoesToTheParentAsTheCheckedAddress() throws Exception {
        RunningProxy front = front(List.of(Rule.builder("loopback-via-p", Action.ALLOW)
                .destinationNetworks(Cidr.parse("127.0.0.0/8")).via("p").build()),
                upstream("p", "socks5h://" + parent.hostAndPort()));
        try (SocksClient client = client(front, "socks5h")) {
            Tunnels.echoThroughStreams(client, SocksTarget.of(FRONT_NAME, echo.port()), 8, BYTES);
        }
        assertThat(frontDns.wasAskedAbout(FRONT_NAME)).isTrue();
        assertThat(parentDns.wasAskedAbout(FRONT_NAME)).as("the parent got the address the rule checked").isFalse();
    }

    @Test
    void aParentsRefusalReachesTheClientWithItsCode() throws Exception {
        RunningProxy front = front(List.of(allVia("p")), upstream("p", "socks5h://" + parent.hostAndPort()));
        InetSocketAddress closed = Loopback.closedPort(Loopback.IPV4);
        try (SocksClient client = client(front, "socks5")) {
            // The parent's own refusal of the target: connection refused, 0x05.
            assertThat(refusal(client, SocksTarget.of(closed)).replyCode()).isEqualTo(5);
        }
        RunningProxy deniedFront = front(List.of(allVia("denies")),
                upstream("denies", "socks5://" + denyingParent.hostAndPort()));
        try (SocksClient client = client(deniedFront, "socks5")) {
            assertThat(refusal(client, SocksTarget.of(echo.address())).replyCode()).isEqualTo(2);
        }
        try (SocksClient socks4 = client(deniedFront, "socks4")) {
            assertThat(refusal(socks4, SocksTarget.of(echo.address())).replyCode()).isEqualTo(91);
        }
    }

    @Test
    void aParentThatCannotBeUsedIsAGeneralFailure() throws Exception {
        InetSocketAddress nobody = Loopback.closedPort(Loopback.IPV4);
        RunningProxy unreachable = front(List.of(allVia("down")),
                upstream("down", "socks5://127.0.0.1:" + nobody.getPort()));
        RunningProxy wrongPassword = front(List.of(allVia("guarded")),
                upstream("guarded", "socks5://relay:wrong@" + guardedParent.hostAndPort()));
        RunningProxy rightPassword = front(List.of(allVia("guarded")),
                upstream("guarded", "socks5h://relay:s3cret@" + guardedParent.hostAndPort()));
        try (SocksClient toDown = client(unreachable, "socks5");
                SocksClient toWrong = client(wrongPassword, "socks5");
                SocksClient toRight = client(rightPassword, "socks5h")) {
            assertThat(refusal(toDown, SocksTarget.of(echo.address())).replyCode()).isEqualTo(1);
            assertThat(refusal(toWrong, SocksTarget.of(echo.address())).replyCode()).isEqualTo(1);
            Tunnels.echoThroughStreams(toRight, SocksTarget.of(HIDDEN, echo.port()), 9, BYTES);
        }
    }

    @Test
    void ferryToDanteByAddressAndByNameAndNothingOnceDanteIsGone() throws Exception {
        DanteServer dante = DanteServer.start();
        RunningProxy front = front(List.of(allVia("dante")),
                upstream("dante", "socks5://" + dante.hostAndPort()));
        RunningProxy frontByName = front(List.of(allVia("dante4")),
                upstream("dante4", "socks4://" + dante.hostAndPort()));
        try (SocksClient client = client(front, "socks5"); SocksClient socks4 = client(frontByName, "socks4")) {
            Tunnels.echoThroughStreams(client, SocksTarget.of(echo.address()), 10, BYTES);
            Tunnels.echoThroughStreams(socks4, SocksTarget.of(echo.address()), 11, BYTES);
            dante.close();
            // Without Dante the same request has nowhere to go: it really went through Dante.
            assertThat(refusal(client, SocksTarget.of(echo.address())).replyCode()).isEqualTo(1);
        } finally {
            dante.close();
        }
    }
}
