package dev.ferryproxy.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.auth.BcryptCredential;
import dev.ferryproxy.auth.LoginThrottle;
import dev.ferryproxy.auth.PasswordHashing;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The verified-login cache as a client sees it, against a bcrypt user and the default login
 * throttle: the first login pays bcrypt, later ones with the same password do not, a wrong password
 * always takes the full check and fails, a reload forgets what was verified, and parallel logins of
 * a user whose password was verified are not locked out by the throttle. What took the full check
 * is read off the {@code ferry.login.cache} meter.
 */
@Timeout(60)
class LoginCacheEndToEndTest {
    private static final String USER = "carol";
    private static final String PASSWORD = "carol-pw-5d1";
    private static final String NEW_PASSWORD = "carol-pw-new-88a";

    private static DnsStub dns;
    private static EchoServer echo;
    private static InetSocketAddress echoAddress;

    private SimpleMeterRegistry registry;
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
    void stopProxy() throws Exception {
        Closeables.closeAll(proxy);
    }

    private void startProxy(Duration cacheTtl) throws IOException {
        registry = new SimpleMeterRegistry();
        proxy = RunningProxy.start(dns.address(), b -> b.policy(policyWithPassword(PASSWORD))
                .meterRegistry(registry).authCacheTtl(cacheTtl).workerThreads(2));
    }

    private static ProxyPolicy policyWithPassword(String password) {
        return new ProxyPolicy(new AccessRules(List.of()),
                UserDirectory.of(Map.of(USER, BcryptCredential.parse(PasswordHashing.hash(password.getBytes(UTF_8))))),
                true);
    }

    @Test
    void onlyTheFirstLoginWithAPasswordPaysTheFullCheck() throws Exception {
        startProxy(Duration.ofMinutes(5));
        tunnelAndEcho(PASSWORD);
        assertThat(cache("miss")).isEqualTo(1);
        assertThat(cache("hit")).isZero();
        for (int i = 0; i < 20; i++) {
            tunnelAndEcho(PASSWORD);
        }
        assertThat(cache("miss")).isEqualTo(1);
        assertThat(cache("hit")).isEqualTo(20);
    }

    @Test
    void aWrongPasswordAfterARightOneStillFails() throws Exception {
        startProxy(Duration.ofMinutes(5));
        tunnelAndEcho(PASSWORD);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            assertThat(Socks5Login.login(client, USER, PASSWORD + "x")).isEqualTo(1);
            Socks5Login.assertClosedByServer(client);
        }
        assertThat(cache("miss")).isEqualTo(2);
        assertThat(registry.get("ferry.failed.logins").functionCounter().count()).isEqualTo(1);
        // The failure did not drop the right password's entry.
        tunnelAndEcho(PASSWORD);
        assertThat(cache("hit")).isEqualTo(1);
    }

    @Test
    void aReloadForgetsVerifiedLogins() throws Exception {
        startProxy(Duration.ofMinutes(5));
        tunnelAndEcho(PASSWORD);
        proxy.server().updatePolicy(policyWithPassword(NEW_PASSWORD));
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            assertThat(Socks5Login.login(client, USER, PASSWORD)).as("the old password after the reload").isEqualTo(1);
        }
        tunnelAndEcho(NEW_PASSWORD);
        assertThat(cache("hit")).isZero();
        assertThat(cache("miss")).isEqualTo(3);
        tunnelAndEcho(NEW_PASSWORD);
        assertThat(cache("hit")).isEqualTo(1);
    }

    @Test
    void aZeroTtlChecksEveryLogin() throws Exception {
        startProxy(Duration.ZERO);
        for (int i = 0; i < 3; i++) {
            tunnelAndEcho(PASSWORD);
        }
        assertThat(cache("hit")).isZero();
    }

    @Test
    void parallelLoginsOfAVerifiedUserAreNotLockedOut() throws Exception {
        // The default throttle locks an address out after 10 failures, and counts a login under way as
        // one: 32 logins at once that all needed bcrypt would lock this address out.
        startProxy(Duration.ofMinutes(5));
        tunnelAndEcho(PASSWORD);
        ExecutorService clients = Executors.newFixedThreadPool(16);
        try {
            List<CompletableFuture<Void>> logins = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                logins.add(CompletableFuture.runAsync(() -> {
                    try {
                        tunnelAndEcho(PASSWORD);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }, clients));
            }
            CompletableFuture.allOf(logins.toArray(CompletableFuture[]::new)).get();
        } finally {
            clients.shutdownNow();
        }
        assertThat(cache("hit")).isEqualTo(32);
    }

    @Test
    void aLockedOutAddressIsRefusedEvenWithAPasswordTheCacheKnows() throws Exception {
        // Otherwise a locked-out guesser would learn from a quick yes which guess was right.
        registry = new SimpleMeterRegistry();
        proxy = RunningProxy.start(dns.address(), b -> b.policy(policyWithPassword(PASSWORD))
                .meterRegistry(registry).authCacheTtl(Duration.ofMinutes(5)).workerThreads(2)
                .loginThrottle(new LoginThrottle.Settings(Duration.ZERO, Duration.ZERO, 2, Duration.ofMinutes(5),
                        Duration.ofMinutes(15))));
        tunnelAndEcho(PASSWORD);
        for (int i = 0; i < 2; i++) {
            try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
                assertThat(Socks5Login.login(client, USER, "guess-" + i)).isEqualTo(1);
            }
        }
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            assertThat(Socks5Login.login(client, USER, PASSWORD)).as("the right password while locked out").isEqualTo(1);
            Socks5Login.assertClosedByServer(client);
        }
        assertThat(cache("hit")).as("the lockout is checked before the cache").isZero();
    }

    private void tunnelAndEcho(String password) throws IOException {
        try (RawSocksClient client = Socks5Login.tunnel(proxy.address(), USER, password, echoAddress)) {
            Socks5Login.assertEchoes(client, "ping".getBytes(UTF_8));
        }
    }

    private double cache(String result) {
        return registry.get("ferry.login.cache").tag("result", result).functionCounter().count();
    }
}
