package dev.ferryproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.admission.AdmissionLimits;
import dev.ferryproxy.admission.AdmissionRefusal;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Action;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.policy.Command;
import dev.ferryproxy.policy.Rule;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SocksRequests;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Issue 13, finding 4: one client cannot take the server from everyone else. Each attack runs
 * against the real server with small limits, from loopback addresses of its own (127.0.5.x and
 * up), and another client is served meanwhile.
 */
@Timeout(60)
class AdmissionEndToEndTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private static DnsStub dns;
    private static EchoServer echo;
    private final List<RawSocksClient> held = new ArrayList<>();
    private RunningProxy proxy;

    @BeforeAll
    static void startTargets() throws Exception {
        dns = DnsStub.start(Map.of());
        echo = EchoServer.start(Loopback.IPV4);
    }

    @AfterAll
    static void stopTargets() throws Exception {
        Closeables.closeAll(echo, dns);
    }

    @AfterEach
    void stop() throws IOException {
        for (RawSocksClient client : held) {
            client.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    private RunningProxy start(AdmissionLimits limits) throws Exception {
        proxy = RunningProxy.start(dns.address(), b -> b.admission(limits).workerThreads(2));
        return proxy;
    }

    private RawSocksClient from(String address) throws IOException {
        RawSocksClient client = RawSocksClient.connectFrom(InetAddress.getByName(address), proxy.address());
        held.add(client);
        return client;
    }

    private RawSocksClient tunnelFrom(String address) throws IOException {
        RawSocksClient client = from(address);
        assertThat(client.socks5Connect(SocksRequests.socks5Connect(echo.address())).rep()).isZero();
        return client;
    }

    /**
     * The server closed the connection without answering its greeting: end of stream, or a reset
     * (it closed at accept, so the greeting met a closed socket).
     */
    private static void assertTurnedAway(RawSocksClient client) throws IOException {
        try {
            client.send(SocksRequests.socks5Greeting());
            assertThat(client.readUntilEof()).as("no method selection, just the close").isEmpty();
        } catch (java.net.SocketException reset) {
            assertThat(reset).hasMessageMatching("(?i).*(reset|broken pipe).*");
        }
    }

    private long refused(AdmissionRefusal reason) {
        return proxy.server().admission().refused(reason);
    }

    @Test
    void oneClientGetsItsShareOfConnectionsAndTheOthersStillGetIn() throws Exception {
        start(new AdmissionLimits(100, 3, 3, 10, 5));
        for (int i = 0; i < 3; i++) {
            tunnelFrom("127.0.5.1");
        }
        assertTurnedAway(from("127.0.5.1"));
        assertThat(refused(AdmissionRefusal.CLIENT_CONNECTIONS)).isEqualTo(1);
        RawSocksClient other = tunnelFrom("127.0.5.2");
        Socks5Login.assertEchoes(other, "another client".getBytes(StandardCharsets.US_ASCII));
        // a closed tunnel gives its place back
        held.get(0).close();
        Awaitility.await().atMost(TIMEOUT).until(() -> proxy.server().admission().connections() == 3);
        tunnelFrom("127.0.5.1");
    }

    @Test
    void greetingOnlyConnectionsFillOnlyTheirOwnClientsHandshakes() throws Exception {
        start(new AdmissionLimits(100, 50, 2, 10, 5));
        from("127.0.6.1").greetNoAuth();
        from("127.0.6.1").greetNoAuth();
        assertTurnedAway(from("127.0.6.1"));
        assertThat(refused(AdmissionRefusal.CLIENT_HANDSHAKES)).isEqualTo(1);
        // a real client elsewhere is served at once, not after the stalled handshakes time out
        Socks5Login.assertEchoes(tunnelFrom("127.0.6.2"), "served".getBytes(StandardCharsets.US_ASCII));
        // a handshake that finishes frees its place while the tunnel lives on
        RawSocksClient finished = tunnelFrom("127.0.6.3");
        tunnelFrom("127.0.6.3");
        tunnelFrom("127.0.6.3");
        Socks5Login.assertEchoes(finished, "three tunnels, no handshakes held".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void theServerWideBoundTurnsAwayTheConnectionPastIt() throws Exception {
        start(new AdmissionLimits(4, 4, 4, 10, 5));
        for (int i = 1; i <= 4; i++) {
            tunnelFrom("127.0.7." + i);
        }
        assertTurnedAway(from("127.0.7.5"));
        assertThat(refused(AdmissionRefusal.CONNECTIONS)).isEqualTo(1);
    }

    private int udpAssociate(String address) throws IOException {
        RawSocksClient control = from(address);
        return control.socks5Connect(SocksRequests.socks5Request(SocksRequests.SOCKS5_UDP_ASSOCIATE,
                new InetSocketAddress(InetAddress.getByAddress(new byte[4]), 0))).rep();
    }

    @Test
    void udpAssociationsAreBoundedPerClientAndInAllWithReplyTwo() throws Exception {
        start(new AdmissionLimits(100, 50, 50, 2, 1));
        assertThat(udpAssociate("127.0.8.1")).isZero();
        assertThat(udpAssociate("127.0.8.1")).as("the client's second").isEqualTo(0x02);
        assertThat(udpAssociate("127.0.8.2")).isZero();
        assertThat(udpAssociate("127.0.8.3")).as("past the server's bound").isEqualTo(0x02);
        assertThat(refused(AdmissionRefusal.CLIENT_UDP_ASSOCIATIONS)).isEqualTo(1);
        assertThat(refused(AdmissionRefusal.UDP_ASSOCIATIONS)).isEqualTo(1);
        // counted when the association starts, just after its reply is written: wait for the second
        Awaitility.await().atMost(TIMEOUT).until(() -> proxy.server().udp().associationsOpened() >= 2);
        assertThat(proxy.server().udp().associationsOpened()).as("relay ports opened").isEqualTo(2);
        held.get(0).close();
        Awaitility.await().atMost(TIMEOUT).until(() -> proxy.server().admission().udpAssociations() == 1);
        assertThat(udpAssociate("127.0.8.1")).isZero();
    }

    @Test
    void udpAssociateFromAClientTheRulesDenyGetsTwoAndNoPort() throws Exception {
        ProxyPolicy onlyOffice = new ProxyPolicy(new AccessRules(List.of(
                Rule.builder("rules[0]", Action.ALLOW).clients(Cidr.parse("127.0.9.0/24")).build(),
                Rule.builder("rules[1]", Action.ALLOW).clients(Cidr.parse("127.0.10.0/24")).commands(Command.CONNECT)
                        .build())), UserDirectory.empty(), false);
        proxy = RunningProxy.start(dns.address(), b -> b.policy(onlyOffice).workerThreads(2));
        assertThat(udpAssociate("127.0.11.1")).as("no rule for this client").isEqualTo(0x02);
        assertThat(udpAssociate("127.0.10.1")).as("CONNECT only").isEqualTo(0x02);
        assertThat(proxy.server().udp().associationsOpened()).as("relay ports opened").isZero();
        assertThat(udpAssociate("127.0.9.1")).isZero();
    }
}
