package dev.ferryproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferryproxy.auth.LoginThrottle;
import dev.ferryproxy.auth.PlainCredential;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Action;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.policy.Rule;
import dev.ferryproxy.proxyprotocol.ProxyProtocolMode;
import dev.ferryproxy.proxyprotocol.ProxyProtocolSettings;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RawUdpAssociation;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import dev.ferryproxy.testing.SocksRequests;
import dev.ferryproxy.testing.TcpTarget;
import dev.ferryproxy.testing.UdpEchoServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.util.NetUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The server's meters against real traffic through a real server: handshake outcomes as the
 * client saw them, relayed bytes equal to the bytes sent each way, and active gauges back to zero
 * once the connections are gone. proxy-core sees only micrometer-core, so a
 * {@link SimpleMeterRegistry} stands in for Prometheus.
 */
@Timeout(60)
class MetricsEndToEndTest {
    private static final int UP = 1024 * 1024;
    private static final int DOWN = 512 * 1024;

    private SimpleMeterRegistry registry;
    private DnsStub dns;
    private TcpTarget target;
    private RunningProxy proxy;

    @BeforeEach
    void start() throws Exception {
        registry = new SimpleMeterRegistry();
        dns = DnsStub.start(Map.of());
        target = TcpTarget.start(Loopback.IPV4);
        proxy = RunningProxy.start(dns.address(), b -> b.meterRegistry(registry).workerThreads(2)
                .policy(new ProxyPolicy(new AccessRules(List.of(
                        Rule.builder("rules[0]", Action.DENY).destinationNetworks(Cidr.parse("127.0.0.2/32")).build(),
                        Rule.builder("rules[1]", Action.ALLOW).build())), UserDirectory.empty(), false)));
    }

    @AfterEach
    void stop() throws Exception {
        Closeables.closeAll(proxy, target, dns);
    }

    @Test
    void relayedBytesEqualWhatWasSentEachWayAndTheTunnelEnds() throws Exception {
        byte[] up = SeededBytes.generate(1, UP);
        byte[] down = SeededBytes.generate(2, DOWN);
        try (RawSocksClient client = RawSocksClient.socks5Tunnel(proxy.address(), target.address());
                Socket peer = target.accept(Duration.ofSeconds(10))) {
            // The tunnel counts once the reply is written, which may be just after the client read it.
            await().atMost(Duration.ofSeconds(10)).until(() -> gauge("ferry.tunnels.active") == 1.0);
            CompletableFuture<Void> sent = Background.call("upload", () -> {
                client.send(up);
                return null;
            });
            assertThat(peer.getInputStream().readNBytes(UP)).isEqualTo(up);
            sent.get(30, TimeUnit.SECONDS);
            peer.getOutputStream().write(down);
            assertThat(client.read(DOWN)).isEqualTo(down);
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(gauge("ferry.tunnels.active")).isZero();
            assertThat(registry.get("ferry.connections.active").tag("listener", listener()).gauge().value()).isZero();
        });
        assertThat(relayed("client_to_target")).isEqualTo(UP);
        assertThat(relayed("target_to_client")).isEqualTo(DOWN);
        assertThat(handshakes("connect", "succeeded")).isEqualTo(1);
        assertThat(registry.get("ferry.handshake.duration").timer().count()).isEqualTo(1);
        assertThat(registry.get("ferry.target.connect.duration").tag("result", "ok").timer().count()).isEqualTo(1);
        assertThat(registry.get("ferry.connections.accepted").tag("listener", listener()).counter().count())
                .isEqualTo(1);
        assertThat(registry.get("ferry.connections.versioned").tag("version", "5").counter().count()).isEqualTo(1);
    }

    @Test
    void aDenialByRuleCountsAsNotAllowed() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            assertThat(client.socks5Connect(SocksRequests.socks5Connect(
                    new InetSocketAddress(Loopback.ipv4(127, 0, 0, 2), 80))).rep()).isEqualTo(0x02);
        }
        awaitHandshakes("connect", "not_allowed", 1);
        assertThat(handshakes("connect", "succeeded")).isZero();
    }

    @Test
    void aRefusedTargetCountsAsConnectionRefused() throws Exception {
        InetSocketAddress closed = Loopback.closedPort(Loopback.IPV4);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            assertThat(client.socks5Connect(SocksRequests.socks5Connect(closed)).rep()).isEqualTo(0x05);
        }
        awaitHandshakes("connect", "connection_refused", 1);
        assertThat(registry.get("ferry.target.connect.duration").tag("result", "failed").timer().count())
                .isEqualTo(1);
    }

    @Test
    void bytesThatAreNoSocksCountAsMalformed() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send("GET / HTTP/1.1\r\n\r\n");
            assertThat(client.readUntilEof()).isEmpty();
        }
        awaitHandshakes("unknown", "malformed", 1);
        assertThat(registry.get("ferry.connections.versioned").tag("version", "none").counter().count()).isEqualTo(1);
    }

    @Test
    void socks4RefusalsCountUnderTheirCommand() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(SocksRequests.socks4Connect(new InetSocketAddress(Loopback.ipv4(127, 0, 0, 2), 80)));
            assertThat(client.readSocks4Reply().status()).isEqualTo(91);
        }
        awaitHandshakes("connect", "not_allowed", 1);
        assertThat(registry.get("ferry.connections.versioned").tag("version", "4").counter().count()).isEqualTo(1);
    }

    private String listener() {
        return NetUtil.toSocketAddressString(proxy.address());
    }

    @Test
    void proxyProtocolRejectionsAreCounted() throws Exception {
        SimpleMeterRegistry own = new SimpleMeterRegistry();
        InetSocketAddress listener = new InetSocketAddress(Loopback.IPV4, 0);
        try (RunningProxy required = RunningProxy.start(dns.address(), b -> b.meterRegistry(own)
                .proxyProtocol(listener, ProxyProtocolSettings.of(ProxyProtocolMode.REQUIRED,
                        List.of(Cidr.parse("192.0.2.0/24")))));
                RawSocksClient client = RawSocksClient.connect(required.address())) {
            // A SOCKS greeting without the header the listener requires.
            client.send(SocksRequests.socks5Greeting());
            await().atMost(Duration.ofSeconds(10)).until(() -> own.get("ferry.proxy.protocol.headers")
                    .tag("result", "rejected").functionCounter().count() == 1.0);
            assertThat(own.get("ferry.proxy.protocol.headers").tag("result", "accepted").functionCounter().count())
                    .isZero();
        }
    }

    @Test
    void udpMetersCountAssociationsDatagramsBytesAndDrops() throws Exception {
        long sent = 0;
        try (UdpEchoServer udpEcho = UdpEchoServer.start(Loopback.IPV4)) {
            try (RawUdpAssociation client = RawUdpAssociation.open(proxy.address(), Loopback.IPV4)) {
                await().atMost(Duration.ofSeconds(10)).until(() -> gauge("ferry.udp.associations.active") == 1.0);
                for (int i = 0; i < 3; i++) {
                    byte[] payload = ("udp meter " + i).repeat(i + 1).getBytes(StandardCharsets.US_ASCII);
                    assertThat(client.roundTrip(udpEcho.address(), payload).data()).isEqualTo(payload);
                    sent += payload.length;
                }
                // A fragment (FRAG 1) is dropped and counted by its reason.
                client.sendRaw(RawUdpAssociation.datagram(1, udpEcho.address(), new byte[] {1, 2, 3}));
                await().atMost(Duration.ofSeconds(10)).until(() -> udpDropped("fragment") == 1);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> gauge("ferry.udp.associations.active") == 0.0);
        }
        assertThat(functionCount("ferry.udp.associations.opened")).isEqualTo(1);
        assertThat(udpCount("ferry.udp.datagrams", "client_to_target")).isEqualTo(3);
        assertThat(udpCount("ferry.udp.datagrams", "target_to_client")).isEqualTo(3);
        assertThat(udpCount("ferry.udp.relayed.bytes", "client_to_target")).isEqualTo(sent);
        assertThat(udpCount("ferry.udp.relayed.bytes", "target_to_client")).isEqualTo(sent);
        assertThat(udpDropped("malformed")).isZero();
        assertThat(handshakes("udp", "succeeded")).isEqualTo(1);
    }

    @Test
    void aWrongPasswordCountsAsAFailedLogin() throws Exception {
        SimpleMeterRegistry own = new SimpleMeterRegistry();
        ProxyPolicy policy = new ProxyPolicy(new AccessRules(List.of()),
                UserDirectory.of(Map.of("alice", new PlainCredential("right".getBytes(StandardCharsets.UTF_8)))), true);
        LoginThrottle.Settings noThrottle = new LoginThrottle.Settings(Duration.ZERO, Duration.ZERO, 1_000_000,
                Duration.ofMinutes(1), Duration.ofMinutes(10));
        try (RunningProxy withUsers = RunningProxy.start(dns.address(),
                b -> b.meterRegistry(own).policy(policy).loginThrottle(noThrottle))) {
            assertThat(own.get("ferry.failed.logins").functionCounter().count()).isZero();
            try (RawSocksClient client = RawSocksClient.connect(withUsers.address())) {
                assertThat(Socks5Login.login(client, "alice", "wrong")).isNotZero();
            }
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> own.get("ferry.failed.logins").functionCounter().count() == 1.0);
            try (RawSocksClient client = RawSocksClient.connect(withUsers.address())) {
                assertThat(Socks5Login.login(client, "alice", "right")).isZero();
            }
            assertThat(own.get("ferry.failed.logins").functionCounter().count()).isEqualTo(1.0);
            await().atMost(Duration.ofSeconds(10)).until(() -> own.get("ferry.handshakes")
                    .tag("command", "unknown").tag("outcome", "auth_failed").counter().count() == 1.0);
        }
    }

    private long functionCount(String name) {
        return (long) registry.get(name).functionCounter().count();
    }

    private long udpCount(String name, String direction) {
        return (long) registry.get(name).tag("direction", direction).functionCounter().count();
    }

    private long udpDropped(String reason) {
        return (long) registry.get("ferry.udp.dropped").tag("reason", reason).functionCounter().count();
    }

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }

    private long relayed(String direction) {
        return (long) registry.get("ferry.relayed.bytes").tag("direction", direction).functionCounter().count();
    }

    private long handshakes(String command, String outcome) {
        return (long) registry.get("ferry.handshakes").tag("command", command).tag("outcome", outcome).counter().count();
    }

    private void awaitHandshakes(String command, String outcome, long expected) {
        await().atMost(Duration.ofSeconds(10)).until(() -> handshakes(command, outcome) == expected);
    }
}
