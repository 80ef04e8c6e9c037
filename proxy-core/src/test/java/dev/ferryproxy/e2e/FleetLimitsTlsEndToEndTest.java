package dev.ferryproxy.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.auth.BcryptCredential;
import dev.ferryproxy.auth.Credential;
import dev.ferryproxy.auth.PasswordHashing;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.limits.ClusterSettings;
import dev.ferryproxy.limits.Limit;
import dev.ferryproxy.limits.LimitRefusal;
import dev.ferryproxy.limits.LimitsPolicy;
import dev.ferryproxy.limits.RedisFleetStore;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.LogCapture;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RedisServer;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SocksRequests;
import dev.ferryproxy.testing.TestCertificates;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The fleet's store over TLS ({@code rediss://}) to a real redis-server that presents a
 * certificate of a private CA, made here with openssl: with {@code caFile} naming that CA the
 * servers share their limits through it; without it (the JDK's trust store), or with a
 * certificate for another host, they never connect, so the peer really is verified.
 */
@Timeout(90)
class FleetLimitsTlsEndToEndTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String PASSWORD = "fleet-tls-password";
    private static final Credential CREDENTIAL = BcryptCredential.parse(PasswordHashing.hash(PASSWORD.getBytes(UTF_8)));

    @TempDir
    static Path certificates;
    private static TestCertificates ca;
    private static TestCertificates.ServerCertificate loopbackCertificate;
    private static DnsStub dns;
    private static EchoServer echo;

    private RedisServer redis;
    private LogCapture storeLog;
    private final List<RunningProxy> fleet = new ArrayList<>();
    private final List<RawSocksClient> held = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        ca = TestCertificates.newCa(certificates, "Ferry test CA");
        loopbackCertificate = ca.issue("redis", "IP:127.0.0.1", "DNS:localhost");
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
        for (RunningProxy proxy : fleet) {
            proxy.close();
        }
        if (storeLog != null) {
            storeLog.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** {@code servers} servers with alice's tunnels limited to {@code tunnels}, sharing them through {@code cluster}. */
    private void startFleet(int servers, int tunnels, ClusterSettings cluster) throws IOException {
        ProxyPolicy policy = new ProxyPolicy(new AccessRules(List.of()), UserDirectory.of(Map.of("alice", CREDENTIAL)), true);
        for (int i = 0; i < servers; i++) {
            fleet.add(RunningProxy.start(dns.address(), b -> b.policy(policy)
                    .limits(new LimitsPolicy(Limit.NONE, Map.of("alice", new Limit(tunnels, 0, 0, 0, 0, null)), List.of()))
                    .cluster(cluster).workerThreads(1)));
        }
    }

    /** A CONNECT to the echo server as alice through server {@code server}; returns the reply code. */
    private int connect(int server) throws IOException {
        RawSocksClient client = RawSocksClient.connect(fleet.get(server).address());
        held.add(client);
        return Socks5Login.loginAndConnect(client, "alice", PASSWORD, SocksRequests.socks5Connect(echo.address())).rep();
    }

    private static ClusterSettings cluster(RedisServer redis) {
        return ClusterSettings.of(redis.uri()).withLeaseTtl(Duration.ofSeconds(2));
    }

    @Test
    void twoServersShareATunnelLimitThroughTlsTrustingTheirOwnCa() throws Exception {
        redis = RedisServer.startTls(loopbackCertificate.certificate(), loopbackCertificate.key());
        assertThat(redis.uri().getScheme()).isEqualTo("rediss");
        startFleet(2, 2, cluster(redis).withCaFile(ca.caCertificate()));
        for (RunningProxy proxy : fleet) {
            Awaitility.await().atMost(TIMEOUT).until(() -> proxy.server().limiter().storeConnected());
        }
        assertThat(connect(0)).as("alice's first tunnel, on server 0").isZero();
        assertThat(connect(0)).as("alice's second tunnel, on server 0").isZero();
        assertThat(connect(1)).as("a third on server 1, which holds none of hers").isEqualTo(0x02);
        assertThat(fleet.get(1).server().limiter().refused(LimitRefusal.TUNNELS)).isEqualTo(1);
        Socks5Login.assertEchoes(held.get(0), "through a limit shared over TLS".getBytes(UTF_8));
    }

    @Test
    void withoutItsCaTheJdksTrustStoreRefusesTheStoresCertificate() throws Exception {
        redis = RedisServer.startTls(loopbackCertificate.certificate(), loopbackCertificate.key());
        storeLog = LogCapture.of(RedisFleetStore.class.getName());
        startFleet(1, 1, cluster(redis));
        awaitTwoFailedConnects("unable to find valid certification path");
        assertThat(fleet.get(0).server().limiter().storeConnected()).as("connected to an untrusted store").isFalse();
    }

    @Test
    void aCertificateForAnotherHostIsRefusedEvenFromTheTrustedCa() throws Exception {
        TestCertificates.ServerCertificate elsewhere = ca.issue("elsewhere", "DNS:redis.elsewhere.test");
        redis = RedisServer.startTls(elsewhere.certificate(), elsewhere.key());
        storeLog = LogCapture.of(RedisFleetStore.class.getName());
        startFleet(1, 1, cluster(redis).withCaFile(ca.caCertificate()));
        awaitTwoFailedConnects("No subject alternative names matching IP address 127.0.0.1");
        assertThat(fleet.get(0).server().limiter().storeConnected()).as("connected to a store named otherwise")
                .isFalse();
    }

    /** Two connects that failed for {@code reason} (the first and a retry), as the store logs them. */
    private void awaitTwoFailedConnects(String reason) {
        Awaitility.await("two connects failing with '" + reason + "'").atMost(TIMEOUT)
                .pollInterval(Duration.ofMillis(20)).until(() -> storeLog.messages().stream()
                        .filter(message -> message.contains("not reachable") && message.contains(reason)).count() >= 2);
    }
}
