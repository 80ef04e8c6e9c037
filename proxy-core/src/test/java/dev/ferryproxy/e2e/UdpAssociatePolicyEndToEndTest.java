package dev.ferryproxy.e2e;

import static dev.ferryproxy.e2e.UdpAssociations.TIMEOUT;
import static dev.ferryproxy.e2e.UdpAssociations.awaitDropped;
import static dev.ferryproxy.e2e.UdpAssociations.awaitEnded;
import static dev.ferryproxy.e2e.UdpAssociations.serverSide;
import static dev.ferryproxy.testing.SocksRequests.bytes;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Action;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.policy.DomainPattern;
import dev.ferryproxy.policy.PortRange;
import dev.ferryproxy.policy.Rule;
import dev.ferryproxy.server.ProxyServerConfig;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.LogCapture;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RawUdpAssociation;
import dev.ferryproxy.testing.RawUdpAssociation.Datagram;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SocksRequests;
import dev.ferryproxy.testing.UdpEchoServer;
import dev.ferryproxy.udp.UdpAssociation;
import dev.ferryproxy.udp.UdpDrop;
import dev.ferryproxy.udp.UdpSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * What a server lets through UDP ASSOCIATE, each on a server started for it: the rules, checked
 * for every new destination (by port, by network, by name before resolving, by resolved
 * address); the limits on datagram size, destinations and rate, each dropping and counting; UDP
 * switched off (0x07); the relay port range (and 0x01 when it is full); the advertised address.
 */
@Timeout(60)
class UdpAssociatePolicyEndToEndTest {
    /** Known to the DNS stub: 127.0.0.1. */
    private static final String ECHO_NAME = "echo.policy.test";
    /** Known to the DNS stub: 127.0.0.7, a network the rules deny. */
    private static final String INSIDE_NAME = "inside.policy.test";
    /** Denied by name; known to the stub (127.0.0.1) so that only the rule keeps it out. */
    private static final String BLOCKED_NAME = "www.blocked.test";

    private static DnsStub dns;
    private static UdpEchoServer echo;
    private static UdpEchoServer otherEcho;
    private RunningProxy proxy;

    @BeforeAll
    static void startTargets() throws Exception {
        echo = UdpEchoServer.start(Loopback.IPV4);
        otherEcho = UdpEchoServer.start(Loopback.IPV4);
        dns = DnsStub.start(Map.of(ECHO_NAME, List.of(Loopback.IPV4), INSIDE_NAME, List.of(Loopback.ipv4(127, 0, 0, 7)),
                BLOCKED_NAME, List.of(Loopback.IPV4)));
    }

    @AfterAll
    static void stopTargets() throws Exception {
        Closeables.closeAll(dns, otherEcho, echo);
    }

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private RunningProxy startProxy(UnaryOperator<ProxyServerConfig.Builder> customizer) throws Exception {
        proxy = RunningProxy.start(dns.address(), customizer);
        return proxy;
    }

    private static UdpSettings settings(PortRange ports, int maxDatagramBytes, int maxDestinations, int perSecond) {
        return new UdpSettings(true, ports, Duration.ofMinutes(2), maxDatagramBytes, maxDestinations, perSecond, false);
    }

    private static byte[] text(String s) {
        return s.getBytes(US_ASCII);
    }

    // ---- rules ----

    @Test
    void everyNewDestinationIsCheckedAgainstTheRules() throws Exception {
        int deniedPort = otherEcho.address().getPort();
        startProxy(b -> b.policy(new ProxyPolicy(new AccessRules(List.of(
                Rule.builder("rules[0]", Action.DENY).destinationPorts(List.of(PortRange.of(deniedPort, deniedPort)))
                        .build(),
                Rule.builder("rules[1]", Action.DENY)
                        .destinationNames(List.of(DomainPattern.parse("*.blocked.test"))).build(),
                Rule.builder("rules[2]", Action.DENY)
                        .destinationNetworks(Cidr.parse("127.0.0.7/32"), Cidr.parse("::1/128")).build(),
                Rule.builder("rules[3]", Action.ALLOW).build())), UserDirectory.empty(), false)));
        try (LogCapture log = LogCapture.of("dev.ferryproxy");
                RawUdpAssociation client = RawUdpAssociation.open(proxy.address(), Loopback.IPV4)) {
            UdpAssociation association = serverSide(proxy, client);
            client.send(otherEcho.address(), text("denied port"));
            client.send(otherEcho.address(), text("denied port, decided before"));
            client.send(new InetSocketAddress(Loopback.IPV6, echo.address().getPort()), text("denied network"));
            client.send(BLOCKED_NAME, echo.address().getPort(), text("denied name"));
            client.send(INSIDE_NAME, echo.address().getPort(), text("denied resolved address"));
            awaitDropped(association.stats(), UdpDrop.DENIED, 5);
            log.awaitMessage("the denial by port", m -> m.contains("denied by rules[0]"), TIMEOUT);
            log.awaitMessage("the denial by name", m -> m.contains(BLOCKED_NAME) && m.contains("denied by rules[1]"),
                    TIMEOUT);
            log.awaitMessage("the denial of the resolved address",
                    m -> m.contains(INSIDE_NAME) && m.contains("denied by rules[2]"), TIMEOUT);
            assertThat(log.messages().stream().filter(m -> m.contains("denied by")).count())
                    .as("one log line per denied destination, not per datagram").isEqualTo(4);

            assertThat(dns.wasAskedAbout(BLOCKED_NAME)).as("DNS asked about a name denied by name").isFalse();
            assertThat(client.roundTrip(echo.address(), text("allowed")).source()).isEqualTo(echo.address());
            assertThat(client.roundTrip(ECHO_NAME, echo.address().getPort(), text("allowed name")).source())
                    .isEqualTo(echo.address());
            assertThat(otherEcho.pollSender(0)).as("the denied target never got a datagram").isNull();
        }
    }

    // ---- limits ----

    @Test
    void datagramsOverTheSizeLimitAreDroppedEitherWay() throws Exception {
        startProxy(b -> b.udp(settings(null, 100, 1024, 10_000)));
        try (RawUdpAssociation client = RawUdpAssociation.open(proxy.address(), Loopback.IPV4);
                DatagramSocket target = new DatagramSocket(new InetSocketAddress(Loopback.IPV4, 0))) {
            UdpAssociation association = serverSide(proxy, client);
            client.send(echo.address(), new byte[91]); // 10-byte header + 91 = 101
            awaitDropped(association.stats(), UdpDrop.TOO_LARGE, 1);
            assertThat(client.roundTrip(echo.address(), new byte[90]).data()).hasSize(90);

            // Toward the client: a target the client sent to answers with 101 bytes, then 100.
            InetSocketAddress targetAddress = (InetSocketAddress) target.getLocalSocketAddress();
            client.send(targetAddress, text("hello"));
            target.setSoTimeout((int) TIMEOUT.toMillis());
            DatagramPacket hello = new DatagramPacket(new byte[100], 100);
            target.receive(hello);
            target.send(new DatagramPacket(new byte[101], 101, hello.getSocketAddress()));
            awaitDropped(association.stats(), UdpDrop.TOO_LARGE, 2);
            target.send(new DatagramPacket(new byte[100], 100, hello.getSocketAddress()));
            Datagram answer = client.receive(TIMEOUT);
            assertThat(answer).as("the answer within the limit").isNotNull();
            assertThat(answer.data()).hasSize(100);
            assertThat(answer.source()).isEqualTo(targetAddress);
        }
    }

    @Test
    void destinationsOverTheLimitAreDropped() throws Exception {
        startProxy(b -> b.udp(settings(null, UdpSettings.MAX_UDP_PAYLOAD, 2, 10_000)));
        try (RawUdpAssociation client = RawUdpAssociation.open(proxy.address(), Loopback.IPV4)) {
            UdpAssociation association = serverSide(proxy, client);
            client.roundTrip(echo.address(), text("first destination"));
            client.roundTrip(otherEcho.address(), text("second destination"));
            client.send(ECHO_NAME, echo.address().getPort(), text("third destination"));
            client.send(new InetSocketAddress(Loopback.ipv4(127, 0, 0, 3), 9), text("fourth destination"));
            awaitDropped(association.stats(), UdpDrop.TOO_MANY_DESTINATIONS, 2);
            assertThat(client.roundTrip(echo.address(), text("first, again")).source()).isEqualTo(echo.address());
            assertThat(client.roundTrip(otherEcho.address(), text("second, again")).source())
                    .isEqualTo(otherEcho.address());
        }
    }

    @Test
    void datagramsOverTheRateAreDropped() throws Exception {
        startProxy(b -> b.udp(settings(null, UdpSettings.MAX_UDP_PAYLOAD, 1024, 20)));
        try (RawUdpAssociation client = RawUdpAssociation.open(proxy.address(), Loopback.IPV4)) {
            UdpAssociation association = serverSide(proxy, client);
            for (int i = 0; i < 100; i++) {
                client.send(echo.address(), text("burst " + i));
            }
            // 20 may go at once (a second's worth), and about one more per 50 ms while the burst lasts.
            UdpAssociations.awaitAtLeast("datagrams seen", () -> association.stats().datagramsToTargets()
                    + association.stats().dropped(UdpDrop.RATE_LIMITED), 100);
            assertThat(association.stats().dropped(UdpDrop.RATE_LIMITED)).isGreaterThanOrEqualTo(50);
            assertThat(client.roundTrip(echo.address(), text("after the burst")).source()).isEqualTo(echo.address());
        }
    }

    // ---- switched off, ports, address ----

    @Test
    void udpSwitchedOffIsCommandNotSupported() throws Exception {
        startProxy(b -> b.udp(UdpSettings.DEFAULT.withEnabled(false)));
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.greetNoAuth().send(SocksRequests.socks5Request(SocksRequests.SOCKS5_UDP_ASSOCIATE,
                    new InetSocketAddress(Loopback.IPV4, 0)));
            assertThat(RawSocksClient.hex(client.read(10)))
                    .isEqualTo(RawSocksClient.hex(bytes(5, 7, 0, 1, 0, 0, 0, 0, 0, 0)));
            assertThat(client.readUntilEof()).isEmpty();
        }
        assertThat(proxy.server().udp().associationsOpened()).isZero();
    }

    @Test
    void relayPortsComeFromTheRangeAndAFullRangeIsAGeneralFailure() throws Exception {
        int port = freeUdpPort();
        startProxy(b -> b.udp(settings(PortRange.of(port, port), UdpSettings.MAX_UDP_PAYLOAD, 1024, 10_000)));
        try (LogCapture log = LogCapture.of("dev.ferryproxy")) {
            RawUdpAssociation first = RawUdpAssociation.open(proxy.address(), Loopback.IPV4);
            UdpAssociation association;
            try {
                assertThat(first.reply().bnd().getPort()).isEqualTo(port);
                assertThat(first.roundTrip(echo.address(), text("in range")).source()).isEqualTo(echo.address());
                association = serverSide(proxy, first);

                try (RawUdpAssociation second = RawUdpAssociation.request(proxy.address(), Loopback.IPV4, null)) {
                    assertThat(second.reply().rep()).as("the reply when every port is taken").isEqualTo(0x01);
                    assertThat(second.control().readUntilEof()).isEmpty();
                }
                log.awaitMessage("why", m -> m.contains("no free UDP port in " + port), TIMEOUT);
            } finally {
                first.close();
            }
            awaitEnded(proxy, association);
        }
        try (RawUdpAssociation again = RawUdpAssociation.open(proxy.address(), Loopback.IPV4)) {
            assertThat(again.reply().bnd().getPort()).as("the port, free again").isEqualTo(port);
        }
    }

    @Test
    void theAdvertisedAddressIsInTheReply() throws Exception {
        InetAddress advertised = Loopback.ipv4(127, 0, 0, 9);
        startProxy(b -> b.advertisedAddress(advertised));
        try (RawUdpAssociation client = RawUdpAssociation.open(proxy.address(), Loopback.IPV4)) {
            assertThat(client.reply().bnd().getAddress()).isEqualTo(advertised);
            // 127.0.0.9 is on loopback too, and the relay listens on every address: it still works.
            assertThat(client.roundTrip(echo.address(), text("via 127.0.0.9")).source()).isEqualTo(echo.address());
        }
    }

    /** A UDP port the system just handed out and took back. */
    private static int freeUdpPort() throws Exception {
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(Loopback.IPV4, 0))) {
            return probe.getLocalPort();
        }
    }
}
