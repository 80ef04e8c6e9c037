package dev.ferryproxy.proxyprotocol;

import static org.assertj.core.api.Assertions.assertThat;

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
import dev.ferryproxy.testing.ProxyHeaders;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RawSocksClient.Socks5Reply;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.RawUdpAssociation;
import dev.ferryproxy.testing.SocksRequests;
import dev.ferryproxy.testing.UdpEchoServer;
import dev.ferryproxy.udp.UdpDrop;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * PROXY protocol v1/v2 in front of SOCKS5 on a live server: headers made by Netty's
 * {@link HAProxyMessageEncoder} (and by hand for the broken ones), real sockets. The rules allow
 * 203.0.113.0/24 and 127.0.0.1 and deny everything else, so a CONNECT succeeds or gets 0x02
 * depending on which client address the server believed.
 */
@Timeout(60)
class ProxyProtocolEndToEndTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final InetSocketAddress LISTENER = new InetSocketAddress(Loopback.IPV4, 0);
    private static final InetAddress OTHER_LOOPBACK = Loopback.ipv4(127, 0, 0, 2);
    private static final List<Cidr> TRUSTED = List.of(Cidr.parse("127.0.0.1/32"));

    private static DnsStub dns;
    private static EchoServer echo;
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
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private RunningProxy start(ProxyProtocolMode mode, Duration headerTimeout) throws IOException {
        ProxyPolicy policy = new ProxyPolicy(new AccessRules(List.of(
                // The targets are on loopback, which the egress guard keeps from 203.0.113.0/24 unless a rule names it.
                Rule.builder("rules[0]", Action.ALLOW).clients(Cidr.parse("203.0.113.0/24"), Cidr.parse("127.0.0.1/32"))
                        .destinationNetworks(Cidr.parse("127.0.0.0/8")).build(),
                Rule.builder("rules[1]", Action.DENY).build())), UserDirectory.empty(), false);
        proxy = RunningProxy.start(dns.address(), b -> b.policy(policy).workerThreads(2)
                .proxyProtocol(LISTENER, new ProxyProtocolSettings(mode, TRUSTED, headerTimeout)));
        return proxy;
    }

    private RunningProxy start(ProxyProtocolMode mode) throws IOException {
        return start(mode, Duration.ofSeconds(5));
    }

    static byte[] header(HAProxyProtocolVersion version, String source) {
        return ProxyHeaders.header(version, source);
    }

    static byte[] encode(HAProxyMessage message) {
        return ProxyHeaders.encode(message);
    }

    private static void assertEchoes(RawSocksClient client) throws IOException {
        client.send("ping");
        assertThat(client.readText(4)).isEqualTo("ping");
    }

    private void assertClosedAndCounted(RawSocksClient client, long rejected) throws IOException {
        assertThat(client.readUntilEof()).isEmpty();
        Awaitility.await().atMost(TIMEOUT).until(() -> proxy.server().proxyProtocolRejected() == rejected);
    }

    @ParameterizedTest
    @EnumSource(HAProxyProtocolVersion.class)
    void headerThenSocks5ConnectRelaysAndTheRulesSeeTheHeadersAddress(HAProxyProtocolVersion version) throws Exception {
        start(ProxyProtocolMode.REQUIRED);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(header(version, "203.0.113.9"));
            Socks5Reply reply = client.socks5Connect(SocksRequests.socks5Connect(echo.address()));
            assertThat(reply.rep()).isZero();
            assertEchoes(client);
        }
        assertThat(proxy.server().proxyProtocol().accepted()).isEqualTo(1);
        assertThat(proxy.server().proxyProtocolRejected()).isZero();
    }

    @ParameterizedTest
    @EnumSource(HAProxyProtocolVersion.class)
    void aHeaderAddressTheRulesDenyGetsNotAllowed(HAProxyProtocolVersion version) throws Exception {
        start(ProxyProtocolMode.REQUIRED);
        try (LogCapture logs = LogCapture.of("dev.ferryproxy");
                RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(header(version, "198.51.100.1"));
            assertThat(client.socks5Connect(SocksRequests.socks5Connect(echo.address())).rep()).isEqualTo(0x02);
            logs.awaitMessage("denial naming the header's address",
                    m -> m.contains("denied") && m.contains("198.51.100.1"), TIMEOUT);
        }
    }

    @Test
    void headerAndRequestsInOneWriteRelayTheBytesBehindThem() throws Exception {
        start(ProxyProtocolMode.REQUIRED);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(SocksRequests.concat(header(HAProxyProtocolVersion.V2, "203.0.113.9"),
                    SocksRequests.socks5Greeting(), SocksRequests.socks5Connect(echo.address()),
                    "ping".getBytes(StandardCharsets.US_ASCII)));
            assertThat(client.read(2)).containsExactly(5, 0);
            assertThat(client.readSocks5Reply().rep()).isZero();
            assertThat(client.readText(4)).isEqualTo("ping");
        }
    }

    @ParameterizedTest
    @EnumSource(HAProxyProtocolVersion.class)
    void aHeaderSplitAcrossReadsIsReassembled(HAProxyProtocolVersion version) throws Exception {
        start(ProxyProtocolMode.REQUIRED);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.sendOneBytePerWrite(header(version, "203.0.113.9"));
            assertThat(client.socks5Connect(SocksRequests.socks5Connect(echo.address())).rep()).isZero();
            assertEchoes(client);
        }
    }

    @Test
    void requiredWithoutHeaderIsClosedAndCounted() throws Exception {
        start(ProxyProtocolMode.REQUIRED);
        try (LogCapture logs = LogCapture.of("dev.ferryproxy");
                RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(SocksRequests.socks5Greeting());
            assertClosedAndCounted(client, 1);
            logs.awaitMessage("the rejection", m -> m.contains("PROXY protocol") && m.contains("requires"), TIMEOUT);
        }
    }

    @ParameterizedTest
    @EnumSource(value = ProxyProtocolMode.class, names = {"OPTIONAL", "REQUIRED"})
    void aHeaderFromAnUntrustedSourceIsClosedAndCounted(ProxyProtocolMode mode) throws Exception {
        start(mode);
        try (RawSocksClient client = RawSocksClient.connectFrom(OTHER_LOOPBACK, proxy.address())) {
            client.send(header(HAProxyProtocolVersion.V2, "203.0.113.9"));
            assertClosedAndCounted(client, 1);
        }
    }

    @Test
    void optionalWithoutHeaderServesPlainSocks() throws Exception {
        start(ProxyProtocolMode.OPTIONAL);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            assertThat(client.socks5Connect(SocksRequests.socks5Connect(echo.address())).rep()).isZero();
            assertEchoes(client);
        }
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(header(HAProxyProtocolVersion.V1, "198.51.100.1"));
            assertThat(client.socks5Connect(SocksRequests.socks5Connect(echo.address())).rep()).isEqualTo(0x02);
        }
        assertThat(proxy.server().proxyProtocolRejected()).isZero();
    }

    @Test
    void aLocalHeaderKeepsTheConnectionsOwnAddress() throws Exception {
        start(ProxyProtocolMode.REQUIRED);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(encode(new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.LOCAL,
                    HAProxyProxiedProtocol.UNKNOWN, null, null, 0, 0)));
            // 127.0.0.1 is allowed; had a header address been taken, nothing else would be.
            assertThat(client.socks5Connect(SocksRequests.socks5Connect(echo.address())).rep()).isZero();
            assertEchoes(client);
        }
    }

    @Test
    void anUnknownV1HeaderKeepsTheConnectionsOwnAddress() throws Exception {
        start(ProxyProtocolMode.REQUIRED);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send("PROXY UNKNOWN\r\n");
            assertThat(client.socks5Connect(SocksRequests.socks5Connect(echo.address())).rep()).isZero();
        }
    }

    @Test
    void aGarbageV1HeaderIsClosedAndCounted() throws Exception {
        start(ProxyProtocolMode.OPTIONAL);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send("PROXY TCP4 not-an-address 127.0.0.1 1 2\r\n");
            assertClosedAndCounted(client, 1);
        }
    }

    @Test
    void aGarbageV2HeaderIsClosedAndCounted() throws Exception {
        start(ProxyProtocolMode.REQUIRED);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            byte[] bad = header(HAProxyProtocolVersion.V2, "203.0.113.9");
            bad[12] = 0x71; // version 7
            client.send(bad);
            assertClosedAndCounted(client, 1);
        }
    }

    @Test
    void anIncompleteHeaderIsClosedAtTheHeaderTimeout() throws Exception {
        start(ProxyProtocolMode.REQUIRED, Duration.ofMillis(300));
        try (LogCapture logs = LogCapture.of("dev.ferryproxy");
                RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send("PROXY TCP4 203.0.113.9 ");
            assertClosedAndCounted(client, 1);
            logs.awaitMessage("the timeout", m -> m.contains("within 300 ms"), TIMEOUT);
        }
        try (RawSocksClient silent = RawSocksClient.connect(proxy.address())) {
            assertClosedAndCounted(silent, 2);
        }
    }

    @Test
    void udpAssociateTakesDatagramsFromTheHeadersAddressOnly() throws Exception {
        ProxyPolicy policy = new ProxyPolicy(new AccessRules(List.of(
                Rule.builder("rules[0]", Action.ALLOW).clients(Cidr.parse("127.0.0.2/32")).build(),
                Rule.builder("rules[1]", Action.DENY).build())), UserDirectory.empty(), false);
        proxy = RunningProxy.start(dns.address(), b -> b.policy(policy).workerThreads(2)
                .proxyProtocol(LISTENER, ProxyProtocolSettings.of(ProxyProtocolMode.REQUIRED, TRUSTED)));
        byte[] payload = "datagram".getBytes(StandardCharsets.US_ASCII);
        try (UdpEchoServer udpEcho = UdpEchoServer.start(Loopback.IPV4);
                DatagramSocket client = new DatagramSocket(new InetSocketAddress(OTHER_LOOPBACK, 0));
                DatagramSocket stranger = new DatagramSocket(new InetSocketAddress(Loopback.IPV4, 0));
                RawSocksClient control = RawSocksClient.connect(proxy.address())) {
            client.setSoTimeout((int) TIMEOUT.toMillis());
            // The control connection comes from 127.0.0.1 (the "balancer"); the header names 127.0.0.2.
            control.send(encode(new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY,
                    HAProxyProxiedProtocol.TCP4, "127.0.0.2", "127.0.0.1", client.getLocalPort(), 1080)));
            Socks5Reply reply = control.greetNoAuth()
                    .send(SocksRequests.socks5Request(SocksRequests.SOCKS5_UDP_ASSOCIATE,
                            new InetSocketAddress(InetAddress.getByAddress(new byte[4]), 0)))
                    .readSocks5Reply();
            assertThat(reply.rep()).isZero();
            InetSocketAddress relay = reply.bnd().getAddress().isAnyLocalAddress()
                    ? new InetSocketAddress(Loopback.IPV4, reply.bnd().getPort()) : reply.bnd();
            byte[] packet = RawUdpAssociation.datagram(0, udpEcho.address(), payload);

            stranger.send(new DatagramPacket(packet, packet.length, relay));
            Awaitility.await().atMost(TIMEOUT).until(
                    () -> proxy.server().udp().totals().dropped(UdpDrop.UNKNOWN_SOURCE) == 1);

            client.send(new DatagramPacket(packet, packet.length, relay));
            DatagramPacket answer = new DatagramPacket(new byte[512], 512);
            client.receive(answer);
            assertThat(new String(answer.getData(), answer.getLength() - payload.length, payload.length,
                    StandardCharsets.US_ASCII)).isEqualTo("datagram");
        }
    }
}
