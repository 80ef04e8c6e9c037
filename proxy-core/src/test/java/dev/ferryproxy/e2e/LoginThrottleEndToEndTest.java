package dev.ferryproxy.e2e;

import static dev.ferryproxy.testing.SocksRequests.concat;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferryproxy.auth.LoginThrottle;
import dev.ferryproxy.auth.PlainCredential;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.LogCapture;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SocksRequests;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The login throttle seen from outside: failed logins from one address are answered ever more
 * slowly and then refused outright, the right password included, while other addresses log in
 * as before. Each test starts a server of its own, so that no throttle state is shared.
 */
@Timeout(60)
class LoginThrottleEndToEndTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final InetAddress OTHER_CLIENT = Loopback.ipv4(127, 0, 0, 2);
    private static final String USER = "alice";
    private static final String PASSWORD = "secret";
    private static final UserDirectory USERS = UserDirectory.of(Map.of(USER, new PlainCredential(PASSWORD.getBytes(UTF_8))));

    private static DnsStub dns;
    private static EchoServer echo;
    private static InetSocketAddress echoAddress;
    private RunningProxy proxy;

    @BeforeAll
    static void startTargets() throws Exception {
        dns = DnsStub.start(Map.of());
        echo = EchoServer.start(Loopback.IPV4);
        echoAddress = new InetSocketAddress(Loopback.IPV4, echo.port());
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

    private RunningProxy startProxy(LoginThrottle.Settings throttle) throws Exception {
        ProxyPolicy policy = new ProxyPolicy(new AccessRules(List.of()), USERS, true);
        proxy = RunningProxy.start(dns.address(), b -> b.policy(policy).loginThrottle(throttle).workerThreads(2));
        return proxy;
    }

    private static LoginThrottle.Settings quickLockoutAfter(int failures) {
        return new LoginThrottle.Settings(Duration.ofMillis(10), Duration.ofMillis(50), failures, Duration.ofMinutes(1),
                Duration.ofMinutes(10));
    }

    @Test
    void addressIsLockedOutAfterThreeFailuresEvenForTheRightPassword() throws Exception {
        assumeTrue(Loopback.canBind(OTHER_CLIENT), "127.0.0.2 cannot be bound here");
        RunningProxy server = startProxy(quickLockoutAfter(3));
        try (LogCapture log = LogCapture.of("dev.ferryproxy")) {
            for (int attempt = 1; attempt <= 3; attempt++) {
                assertThat(loginStatus(server, Loopback.IPV4, "wrong-" + attempt)).as("wrong login %d", attempt).isEqualTo(1);
            }

            // The right password, with a request pipelined behind it: refused, and the request never served.
            try (EchoServer target = EchoServer.start(Loopback.IPV4);
                    RawSocksClient client = RawSocksClient.connect(server.address())) {
                client.send(concat(SocksRequests.socks5GreetingOffering(Socks5Login.PASSWORD_METHOD),
                        SocksRequests.rfc1929Login(USER, PASSWORD),
                        SocksRequests.socks5Connect(new InetSocketAddress(Loopback.IPV4, target.port()))));
                assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 02");
                assertThat(RawSocksClient.hex(client.read(2))).as("the right password, locked out").isEqualTo("01 01");
                Socks5Login.assertClosedByServer(client);
                assertThat(target.acceptedCount()).isZero();
            }
            log.awaitMessage("the lockout's log line",
                    m -> m.contains("'" + USER + "'") && m.contains("127.0.0.1") && m.contains("too many failed logins"),
                    TIMEOUT);

            // Another address is not affected...
            try (RawSocksClient other = RawSocksClient.connectFrom(OTHER_CLIENT, server.address())) {
                assertThat(Socks5Login.login(other, USER, PASSWORD)).isZero();
                other.send(SocksRequests.socks5Connect(echoAddress));
                assertThat(other.readSocks5Reply().rep()).isZero();
                Socks5Login.assertEchoes(other, "from 127.0.0.2".getBytes(UTF_8));
            }
            // ...and its success does not lift the first address's lockout.
            assertThat(loginStatus(server, Loopback.IPV4, PASSWORD)).as("the right password, still locked out")
                    .isEqualTo(1);
        }
    }

    @Test
    void successClearsTheFailuresBeforeTheLimit() throws Exception {
        RunningProxy server = startProxy(quickLockoutAfter(3));
        assertThat(loginStatus(server, Loopback.IPV4, "wrong-1")).isEqualTo(1);
        assertThat(loginStatus(server, Loopback.IPV4, "wrong-2")).isEqualTo(1);
        assertThat(loginStatus(server, Loopback.IPV4, PASSWORD)).as("the right password after two failures").isZero();
        assertThat(loginStatus(server, Loopback.IPV4, "wrong-3")).isEqualTo(1);
        assertThat(loginStatus(server, Loopback.IPV4, "wrong-4")).isEqualTo(1);

        // Two failures since the success: under the limit of three, so the right password still works.
        try (RawSocksClient client = Socks5Login.tunnel(server.address(), USER, PASSWORD, echoAddress)) {
            Socks5Login.assertEchoes(client, "not locked out".getBytes(UTF_8));
        }
    }

    /**
     * Each failure is answered only after the throttle's delay, which doubles up to its cap. Only
     * lower bounds are checked: the timer guarantees them, while an upper bound would depend on
     * how busy the machine is.
     */
    @Test
    void failuresAreAnsweredAfterADoublingDelay() throws Exception {
        RunningProxy server = startProxy(new LoginThrottle.Settings(Duration.ofMillis(100), Duration.ofMillis(250), 100,
                Duration.ofMinutes(1), Duration.ofMinutes(10)));

        assertThat(timeToFailedLogin(server)).as("first failure").isGreaterThanOrEqualTo(Duration.ofMillis(100));
        assertThat(timeToFailedLogin(server)).as("second failure").isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(timeToFailedLogin(server)).as("third failure (capped)").isGreaterThanOrEqualTo(Duration.ofMillis(250));
    }

    private static Duration timeToFailedLogin(RunningProxy server) throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(server.address())) {
            client.send(SocksRequests.socks5GreetingOffering(Socks5Login.PASSWORD_METHOD));
            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 02");
            long start = System.nanoTime();
            client.send(SocksRequests.rfc1929Login(USER, "wrong"));
            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("01 01");
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            Socks5Login.assertClosedByServer(client);
            return elapsed;
        }
    }

    /** One login as {@link #USER} from {@code from}; returns the STATUS, after checking a failure closes. */
    private static int loginStatus(RunningProxy server, InetAddress from, String password) throws Exception {
        try (RawSocksClient client = RawSocksClient.connectFrom(from, server.address())) {
            int status = Socks5Login.login(client, USER, password);
            if (status != 0) {
                Socks5Login.assertClosedByServer(client);
            }
            return status;
        }
    }
}
