package dev.ferryproxy.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.accesslog.AccessLogEntry;
import dev.ferryproxy.accesslog.EndReason;
import dev.ferryproxy.auth.BcryptCredential;
import dev.ferryproxy.auth.Credential;
import dev.ferryproxy.auth.PasswordHashing;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.limits.Limit;
import dev.ferryproxy.limits.LimitRefusal;
import dev.ferryproxy.limits.LimitsPolicy;
import dev.ferryproxy.limits.NetworkLimit;
import dev.ferryproxy.limits.Quota;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.relay.RelaySettings;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SocksRequests;
import dev.ferryproxy.testing.SourceTarget;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/**
 * Issue 14, the limits of one server: tunnels, connection rate, bandwidth and quota per user and
 * per client network, against the real server with real sockets. A refusal is 0x02 and a close;
 * everyone else keeps being served.
 */
@Timeout(60)
class LimitsEndToEndTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String PASSWORD = "limits-password";
    private static final Credential CREDENTIAL = BcryptCredential.parse(PasswordHashing.hash(PASSWORD.getBytes(UTF_8)));

    private static DnsStub dns;
    private static EchoServer echo;
    private static SourceTarget source;
    private final List<RawSocksClient> held = new ArrayList<>();
    private final List<AccessLogEntry> accessLog = new CopyOnWriteArrayList<>();
    private RunningProxy proxy;

    @BeforeAll
    static void startTargets() throws Exception {
        dns = DnsStub.start(Map.of());
        echo = EchoServer.start(Loopback.IPV4);
        source = SourceTarget.start(Loopback.IPV4, 64L * 1024 * 1024);
    }

    @AfterAll
    static void stopTargets() throws Exception {
        Closeables.closeAll(source, echo, dns);
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

    /** Users alice and bob (passwords optional, so that SOCKS4 and no-auth SOCKS5 work too) under {@code limits}. */
    private void start(LimitsPolicy limits) throws IOException {
        start(limits, UnaryOperator.identity());
    }

    private void start(LimitsPolicy limits, UnaryOperator<dev.ferryproxy.server.ProxyServerConfig.Builder> more)
            throws IOException {
        ProxyPolicy policy = new ProxyPolicy(new AccessRules(List.of()),
                UserDirectory.of(Map.of("alice", CREDENTIAL, "bob", CREDENTIAL)), false);
        proxy = RunningProxy.start(dns.address(), b -> more.apply(b.policy(policy).limits(limits)
                .accessLog(accessLog::add).workerThreads(2)));
    }

    private static Limit tunnels(int n) {
        return new Limit(n, 0, 0, 0, 0, null);
    }

    private static LimitsPolicy forUsers(Limit userDefault, Map<String, Limit> users) {
        return new LimitsPolicy(userDefault, users, List.of());
    }

    private RawSocksClient client(String from) throws IOException {
        RawSocksClient client = RawSocksClient.connectFrom(InetAddress.getByName(from), proxy.address());
        held.add(client);
        return client;
    }

    /** A SOCKS5 CONNECT as {@code user} to {@code target}; returns the reply code. */
    private int connectAs(String user, InetSocketAddress target) throws IOException {
        return connectAs(user, "127.0.0.1", target);
    }

    private int connectAs(String user, String from, InetSocketAddress target) throws IOException {
        RawSocksClient client = client(from);
        if (user == null) {
            return client.socks5Connect(SocksRequests.socks5Connect(target)).rep();
        }
        return Socks5Login.loginAndConnect(client, user, PASSWORD, SocksRequests.socks5Connect(target)).rep();
    }

    private RawSocksClient last() {
        return held.get(held.size() - 1);
    }

    private static void assertClosedByServer(RawSocksClient client) throws IOException {
        assertThat(client.readUntilEof()).as("nothing after the refusal, then the close").isEmpty();
    }

    private long refused(LimitRefusal reason) {
        return proxy.server().limiter().refused(reason);
    }

    @Test
    void aUserHoldsAtMostItsTunnelsAndAClosedOneGivesItsSlotBack() throws Exception {
        start(forUsers(tunnels(5), Map.of("alice", tunnels(2))));
        assertThat(connectAs("alice", echo.address())).isZero();
        RawSocksClient first = last();
        assertThat(connectAs("alice", echo.address())).isZero();
        assertThat(connectAs("alice", echo.address())).as("alice's third tunnel").isEqualTo(0x02);
        assertClosedByServer(last());
        assertThat(refused(LimitRefusal.TUNNELS)).isEqualTo(1);
        // bob has the default of five, and alice's two tunnels still flow
        assertThat(connectAs("bob", echo.address())).isZero();
        Socks5Login.assertEchoes(first, "still flowing".getBytes(UTF_8));
        first.close();
        Awaitility.await().atMost(TIMEOUT).until(() -> proxy.server().limiter().tunnelsOfUser("alice") == 1);
        assertThat(connectAs("alice", echo.address())).as("after one closed").isZero();
    }

    @Test
    void aSocks4UseridIsNotALoginSoItSpendsNoUsersTunnels() throws Exception {
        start(forUsers(Limit.NONE, Map.of("alice", tunnels(1))));
        assertThat(connectAs("alice", echo.address())).isZero();
        for (int i = 0; i < 3; i++) {
            RawSocksClient socks4 = client("127.0.0.1");
            socks4.send(SocksRequests.socks4Request(SocksRequests.SOCKS4_CONNECT, echo.address(), "alice"));
            assertThat(socks4.readSocks4Reply().status()).as("SOCKS4 with USERID alice").isEqualTo(90);
        }
        assertThat(connectAs("alice", echo.address())).as("the real alice's second tunnel").isEqualTo(0x02);
    }

    @Test
    void aUserOpensTunnelsNoFasterThanItsRate() throws Exception {
        start(forUsers(new Limit(0, 0.2, 2, 0, 0, null), Map.of()));
        assertThat(connectAs("alice", echo.address())).isZero();
        assertThat(connectAs("alice", echo.address())).isZero();
        assertThat(connectAs("alice", echo.address())).as("past the burst of 2 at 0.2/s").isEqualTo(0x02);
        assertThat(refused(LimitRefusal.RATE)).isEqualTo(1);
        assertThat(connectAs("bob", echo.address())).as("bob's own bucket").isZero();
    }

    @Test
    void aNetworkLimitCountsEachAddressOrTheWholeNetwork() throws Exception {
        start(new LimitsPolicy(Limit.NONE, Map.of(), List.of(
                new NetworkLimit(Cidr.parse("127.0.7.0/24"), true, tunnels(1)),
                new NetworkLimit(Cidr.parse("127.0.8.0/24"), false, tunnels(2)))));
        assertThat(connectAs(null, "127.0.7.1", echo.address())).isZero();
        assertThat(connectAs(null, "127.0.7.1", echo.address())).as("127.0.7.1's second").isEqualTo(0x02);
        assertThat(connectAs(null, "127.0.7.2", echo.address())).as("another address has its own").isZero();
        assertThat(connectAs(null, "127.0.8.1", echo.address())).isZero();
        assertThat(connectAs(null, "127.0.8.2", echo.address())).isZero();
        assertThat(connectAs(null, "127.0.8.3", echo.address())).as("the network's third").isEqualTo(0x02);
        assertThat(connectAs("alice", "127.0.9.1", echo.address())).as("outside both networks").isZero();
    }

    @Test
    void aNetworkLimitRefusesASocks4ConnectWith91() throws Exception {
        start(new LimitsPolicy(Limit.NONE, Map.of(), List.of(
                new NetworkLimit(Cidr.parse("127.0.10.0/24"), false, tunnels(1)))));
        RawSocksClient first = socks4Connect("127.0.10.1");
        assertThat(first.readSocks4Reply().status()).as("the network's first tunnel").isEqualTo(90);
        RawSocksClient second = socks4Connect("127.0.10.2");
        assertThat(second.readSocks4Reply().status()).as("the network's second, over its limit").isEqualTo(91);
        assertClosedByServer(second);
        assertThat(refused(LimitRefusal.TUNNELS)).isEqualTo(1);
        assertThat(socks4Connect("127.0.11.1").readSocks4Reply().status()).as("outside the network").isEqualTo(90);
        Socks5Login.assertEchoes(first, "the first still flows".getBytes(UTF_8));
    }

    /** A SOCKS4 CONNECT to the echo server from {@code from}, its reply not yet read. */
    private RawSocksClient socks4Connect(String from) throws IOException {
        return client(from).send(SocksRequests.socks4Connect(echo.address()));
    }

    @Test
    void aSpentQuotaClosesTheTunnelSaysQuotaAndRefusesTheNext() throws Exception {
        long quota = 1024 * 1024;
        start(forUsers(Limit.NONE, Map.of("alice",
                new Limit(0, 0, 0, 0, 0, new Quota(quota, Quota.Period.DAY, LocalTime.MIDNIGHT)))));
        assertThat(connectAs("alice", source.address())).isZero();
        long received = drain(last().socket().getInputStream());
        // the read that spent it is relayed whole; nothing after it
        assertThat(received).isBetween(quota, quota + RelaySettings.MAX_READ_BYTES);
        Awaitility.await().atMost(TIMEOUT).until(() -> !accessLog.isEmpty());
        assertThat(accessLog.get(0).end()).isEqualTo(EndReason.QUOTA);
        assertThat(proxy.server().limiter().quotaClosures()).isEqualTo(1);
        assertThat(connectAs("alice", echo.address())).as("with the quota spent").isEqualTo(0x02);
        assertThat(refused(LimitRefusal.QUOTA)).isEqualTo(1);
        assertThat(connectAs("bob", echo.address())).as("bob has no quota").isZero();
    }

    @Test
    void aDownloadKeepsToItsBandwidth() throws Exception {
        long rate = 2 * 1024 * 1024;
        start(forUsers(new Limit(0, 0, 0, 0, rate, null), Map.of()));
        assertThat(connectAs("alice", source.address())).isZero();
        InputStream in = last().socket().getInputStream();
        byte[] buffer = new byte[64 * 1024];
        assertThat(in.read(buffer)).isPositive();
        long start = System.nanoTime();
        long received = 0;
        Duration period = Duration.ofSeconds(3);
        while (System.nanoTime() - start < period.toNanos()) {
            int n = in.read(buffer);
            assertThat(n).as("the source sends more than this test reads").isPositive();
            received += n;
        }
        double perSecond = received / ((System.nanoTime() - start) / 1e9);
        assertThat(perSecond).as("bytes per second over %s", period).isBetween(rate * 0.9, rate * 1.1);
    }

    @Test
    void aReloadLimitsNewTunnelsAndKeepsTheOpenOnesFlowing() throws Exception {
        start(forUsers(tunnels(3), Map.of()));
        assertThat(connectAs("alice", echo.address())).isZero();
        RawSocksClient first = last();
        assertThat(connectAs("alice", echo.address())).isZero();
        proxy.server().updateLimits(forUsers(tunnels(1), Map.of()), null);
        assertThat(connectAs("alice", echo.address())).as("over the new limit").isEqualTo(0x02);
        Socks5Login.assertEchoes(first, "after the reload".getBytes(UTF_8));
        proxy.server().updateLimits(forUsers(tunnels(4), Map.of()), null);
        assertThat(connectAs("alice", echo.address())).as("under the raised limit").isZero();
    }

    @Test
    void perUserMetersShowTheLimitsUseOnlyWithPerUserTags() throws Exception {
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        start(forUsers(tunnels(5), Map.of()), b -> b.meterRegistry(registry)
                .metrics(dev.ferryproxy.metrics.MetricsSettings.perUser(10)));
        assertThat(connectAs("alice", echo.address())).isZero();
        assertThat(connectAs("alice", echo.address())).isZero();
        Awaitility.await().atMost(TIMEOUT).until(() -> registry.get("ferry.user.tunnels").tag("user", "alice")
                .gauge().value() == 2);
        assertThat(registry.get("ferry.user.tunnels").tag("user", "bob").gauge().value()).isZero();
        proxy.close();
        proxy = null;

        io.micrometer.core.instrument.simple.SimpleMeterRegistry untagged =
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        start(forUsers(tunnels(5), Map.of()), b -> b.meterRegistry(untagged));
        assertThat(connectAs("alice", echo.address())).isZero();
        assertThat(untagged.find("ferry.user.tunnels").meters()).as("no per-user series without the tags").isEmpty();
        assertThat(untagged.get("ferry.limit.refused").tag("limit", "tunnels").functionCounter().count()).isZero();
    }

    /** Reads until the end of the stream; returns how many bytes came. */
    static long drain(InputStream in) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        while (true) {
            int n;
            try {
                n = in.read(buffer);
            } catch (java.net.SocketException reset) {
                return total;
            }
            if (n < 0) {
                return total;
            }
            total += n;
        }
    }
}
