package dev.ferryproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferryproxy.accesslog.AccessLogEntry;
import dev.ferryproxy.accesslog.EndReason;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksVersion;
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
import dev.ferryproxy.testing.SeededBytes;
import dev.ferryproxy.testing.SocksRequests;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * The access-log entries a real server hands its sink: one per request once its connection has
 * ended, with the bytes each way equal to what was sent, the reply code of a refusal, the name as
 * the client sent it, and why the connection ended.
 */
@Timeout(60)
class AccessLogEndToEndTest {
    /** Lock-free: the sink runs on an event loop, where BlockHound forbids waiting on a lock. */
    private final ConcurrentLinkedQueue<AccessLogEntry> entries = new ConcurrentLinkedQueue<>();
    private DnsStub dns;
    private EchoServer echo;
    private RunningProxy proxy;

    @BeforeEach
    void start() throws Exception {
        dns = DnsStub.start(Map.of());
        echo = EchoServer.start(Loopback.IPV4);
        proxy = RunningProxy.start(dns.address(), b -> b.accessLog(entries::add)
                .policy(new ProxyPolicy(new AccessRules(List.of(
                        Rule.builder("rules[0]", Action.DENY).destinationNetworks(Cidr.parse("127.0.0.2/32")).build(),
                        Rule.builder("rules[1]", Action.ALLOW).build())), UserDirectory.empty(), false)));
    }

    @AfterEach
    void stop() throws Exception {
        Closeables.closeAll(proxy, echo, dns);
    }

    private AccessLogEntry next() {
        await("an access-log entry").atMost(Duration.ofSeconds(10)).until(() -> !entries.isEmpty());
        return entries.poll();
    }

    @Test
    void aConnectTunnelIsLoggedWithTheBytesEachWay() throws Exception {
        byte[] up = SeededBytes.generate(7, 300_000);
        try (RawSocksClient tunnel = RawSocksClient.socks5Tunnel(proxy.address(), echo.address())) {
            tunnel.send(up);
            assertThat(tunnel.read(up.length)).isEqualTo(up);
            tunnel.shutdownOutput();
            assertThat(tunnel.readUntilEof()).isEmpty();
        }
        AccessLogEntry entry = next();
        assertThat(entry.command()).isEqualTo(Command.CONNECT);
        assertThat(entry.version()).isEqualTo(SocksVersion.SOCKS5);
        assertThat(entry.replyCode()).isZero();
        assertThat(entry.succeeded()).isTrue();
        assertThat(entry.bytesFromClient()).isEqualTo(up.length);
        assertThat(entry.bytesToClient()).isEqualTo(up.length);
        assertThat(entry.requested()).isEqualTo(SocksAddress.of(echo.address()));
        assertThat(entry.dialled()).isEqualTo(echo.address());
        assertThat(entry.client()).isEqualTo(Loopback.IPV4);
        assertThat(entry.listener()).isEqualTo(proxy.address());
        assertThat(entry.user()).isNull();
        assertThat(entry.end()).isEqualTo(EndReason.CLIENT_CLOSED);
        assertThat(entry.duration()).isPositive();
        assertThat(entries).isEmpty();
    }

    @Test
    void aTargetThatClosesFirstIsNamed() throws Exception {
        try (RawSocksClient tunnel = RawSocksClient.socks5Tunnel(proxy.address(), echo.address())) {
            tunnel.send("abc");
            assertThat(tunnel.readText(3)).isEqualTo("abc");
            echo.close();
            assertThat(tunnel.readUntilEof()).isEmpty();
        }
        AccessLogEntry entry = next();
        assertThat(entry.end()).isEqualTo(EndReason.TARGET_CLOSED);
        assertThat(entry.bytesFromClient()).isEqualTo(3);
        assertThat(entry.bytesToClient()).isEqualTo(3);
    }

    @Test
    void aDeniedRequestIsLoggedWithItsReplyCode() throws Exception {
        InetSocketAddress denied = new InetSocketAddress(Loopback.ipv4(127, 0, 0, 2), 80);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            assertThat(client.socks5Connect(SocksRequests.socks5Connect(denied)).rep()).isEqualTo(2);
            assertThat(client.readUntilEof()).isEmpty();
        }
        AccessLogEntry entry = next();
        assertThat(entry.replyCode()).isEqualTo(2);
        assertThat(entry.succeeded()).isFalse();
        assertThat(entry.end()).isEqualTo(EndReason.REJECTED);
        assertThat(entry.requested()).isEqualTo(SocksAddress.of(denied));
        assertThat(entry.dialled()).isNull();
        assertThat(entry.bytesFromClient()).isZero();
        assertThat(entry.bytesToClient()).isZero();
    }

    @Test
    void aNameWithControlCharactersIsKeptAsTheClientSentIt() throws Exception {
        String name = "evil\n{\"x\":1}\u0007.invalid";
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            assertThat(client.socks5Connect(SocksRequests.socks5Connect(name, 80)).rep()).isNotZero();
        }
        AccessLogEntry entry = next();
        assertThat(entry.requested().host()).isEqualTo(name);
        assertThat(entry.requested().printableHost()).doesNotContain("\n").doesNotContain("\u0007");
        assertThat(entry.end()).isEqualTo(EndReason.REJECTED);
    }

    @Test
    void aTunnelClosedAtTheDrainDeadlineSaysDrain() throws Exception {
        try (RawSocksClient tunnel = RawSocksClient.socks5Tunnel(proxy.address(), echo.address())) {
            tunnel.send("x");
            assertThat(tunnel.readText(1)).isEqualTo("x");
            assertThat(proxy.server().drain(Duration.ZERO, Duration.ofMillis(200)).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS)).isEqualTo(1);
        }
        AccessLogEntry entry = next();
        assertThat(entry.end()).isEqualTo(EndReason.DRAIN);
        assertThat(entry.bytesFromClient()).isEqualTo(1);
    }

    @Test
    void aClientThatNeverSendsARequestIsNotLogged() throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.greetNoAuth();
        }
        // A request after it is logged, and is the first entry.
        try (RawSocksClient tunnel = RawSocksClient.socks5Tunnel(proxy.address(), echo.address())) {
            tunnel.shutdownOutput();
            tunnel.readUntilEof();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.server().openConnections() == 0);
        assertThat(next().replyCode()).isZero();
        assertThat(entries).isEmpty();
    }
}
