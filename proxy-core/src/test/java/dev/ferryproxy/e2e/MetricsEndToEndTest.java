package dev.ferryproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import dev.ferryproxy.testing.SocksRequests;
import dev.ferryproxy.testing.TcpTarget;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.util.NetUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
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
