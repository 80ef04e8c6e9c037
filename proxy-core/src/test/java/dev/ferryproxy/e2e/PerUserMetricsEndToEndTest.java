package dev.ferryproxy.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferryproxy.auth.PlainCredential;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.metrics.MetricsSettings;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Per-user tags on {@code ferry.handshakes} and {@code ferry.relayed.bytes}: off by default (no
 * {@code user} tag on any meter), and when on, bounded: with room for one user, the first user
 * seen is named and the next is {@code _other}; a connection without a login is {@code _none}.
 */
@Timeout(60)
class PerUserMetricsEndToEndTest {
    private static final ProxyPolicy USERS = new ProxyPolicy(new AccessRules(List.of()), UserDirectory.of(Map.of(
            "alice", new PlainCredential("alice-pw".getBytes(UTF_8)),
            "bob", new PlainCredential("bob-pw".getBytes(UTF_8)))), true);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private DnsStub dns;
    private EchoServer echo;
    private RunningProxy proxy;

    @BeforeEach
    void start() throws Exception {
        dns = DnsStub.start(Map.of());
        echo = EchoServer.start(Loopback.IPV4);
    }

    @AfterEach
    void stop() throws Exception {
        Closeables.closeAll(proxy, echo, dns);
    }

    private void startProxy(UnaryOperator<dev.ferryproxy.server.ProxyServerConfig.Builder> more) throws Exception {
        proxy = RunningProxy.start(dns.address(), b -> more.apply(b.meterRegistry(registry).policy(USERS)));
    }

    private void tunnel(String user, String password, int bytes) throws Exception {
        try (RawSocksClient client = Socks5Login.tunnel(proxy.address(), user, password, echo.address())) {
            Socks5Login.assertEchoes(client, new byte[bytes]);
        }
    }

    @Test
    void withABoundOfOneTheFirstUserIsNamedAndTheNextIsOther() throws Exception {
        startProxy(b -> b.metrics(MetricsSettings.perUser(1)));
        tunnel("alice", "alice-pw", 1000);
        tunnel("bob", "bob-pw", 3000);
        tunnel("alice", "alice-pw", 10);
        await().atMost(Duration.ofSeconds(10)).until(() -> relayed("_other", "target_to_client") == 3000);
        assertThat(handshakes("alice", "succeeded")).isEqualTo(2);
        assertThat(handshakes("_other", "succeeded")).isEqualTo(1);
        assertThat(handshakes("_none", "succeeded")).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> relayed("alice", "target_to_client") == 1010);
        assertThat(relayed("alice", "client_to_target")).isEqualTo(1010);
        assertThat(relayed("_other", "client_to_target")).isEqualTo(3000);
        assertThat(registry.find("ferry.handshakes").tag("user", "bob").meters()).isEmpty();
        // Every series of the two meters carries the tag (one label set per name, as Prometheus wants).
        assertThat(registry.find("ferry.handshakes").meters())
                .allSatisfy(m -> assertThat(m.getId().getTag("user")).isNotNull());
        assertThat(registry.find("ferry.relayed.bytes").meters())
                .allSatisfy(m -> assertThat(m.getId().getTag("user")).isNotNull());
    }

    @Test
    void aFailedLoginCountsWithoutAUser() throws Exception {
        startProxy(b -> b.metrics(MetricsSettings.perUser(10)));
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            assertThat(Socks5Login.login(client, "alice", "wrong")).isNotZero();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.get("ferry.handshakes").tag("user", "_none")
                .tag("command", "unknown").tag("outcome", "auth_failed").counter().count() == 1.0);
        assertThat(registry.find("ferry.handshakes").tag("user", "alice").meters()).isEmpty();
    }

    @Test
    void offByDefaultNoMeterHasAUserTag() throws Exception {
        startProxy(b -> b);
        tunnel("alice", "alice-pw", 100);
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.get("ferry.relayed.bytes")
                .tag("direction", "target_to_client").functionCounter().count() == 100.0);
        assertThat(registry.get("ferry.handshakes").tag("command", "connect").tag("outcome", "succeeded")
                .counter().count()).isEqualTo(1.0);
        List<Meter> tagged = registry.getMeters().stream().filter(m -> m.getId().getTag("user") != null).toList();
        assertThat(tagged).isEmpty();
    }

    private long handshakes(String user, String outcome) {
        return (long) registry.get("ferry.handshakes").tag("user", user).tag("command", "connect")
                .tag("outcome", outcome).counter().count();
    }

    private long relayed(String user, String direction) {
        return (long) registry.get("ferry.relayed.bytes").tag("user", user).tag("direction", direction)
                .functionCounter().count();
    }
}
