package dev.ferryproxy.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferryproxy.auth.BcryptCredential;
import dev.ferryproxy.auth.PasswordAuthenticator;
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
import dev.ferryproxy.testing.SocksRequests;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The lock-out attack of issue 13, against the real server with the default throttle and two
 * password threads: many source addresses send unknown-user logins and leave at once. Before the
 * fix, the queued checks ran long after their clients had gone, every one counted as a failure
 * from the moment it arrived, and a real user's login, refused while the pool was full, counted
 * against the user's own address until it was locked out. Now a client past its share is refused
 * unchecked at once, a check whose client has gone is dropped, neither counts as a failure, and a
 * returning user is answered from the cache without waiting behind anyone.
 */
@Timeout(120)
class LoginFloodEndToEndTest {
    private static final String CAROL = "carol";
    private static final String CAROL_PASSWORD = "carol-pw-77e";
    private static final String DAVE = "dave";
    private static final String DAVE_PASSWORD = "dave-pw-19c";
    private static final int FLOOD_ADDRESSES = 40;
    private static final int LOGINS_PER_ADDRESS = 9;

    private DnsStub dns;
    private EchoServer echo;
    private InetSocketAddress echoAddress;
    private SimpleMeterRegistry registry;
    private RunningProxy proxy;

    @BeforeEach
    void start() throws Exception {
        dns = DnsStub.start(Map.of());
        echo = EchoServer.start(Loopback.IPV4);
        echoAddress = new InetSocketAddress(Loopback.IPV4, echo.port());
        registry = new SimpleMeterRegistry();
        ProxyPolicy policy = new ProxyPolicy(new AccessRules(List.of()), UserDirectory.of(Map.of(
                CAROL, BcryptCredential.parse(PasswordHashing.hash(CAROL_PASSWORD.getBytes(UTF_8))),
                DAVE, BcryptCredential.parse(PasswordHashing.hash(DAVE_PASSWORD.getBytes(UTF_8))))), true);
        proxy = RunningProxy.start(dns.address(), b -> b.policy(policy).meterRegistry(registry).workerThreads(2));
    }

    @AfterEach
    void stop() throws Exception {
        Closeables.closeAll(proxy, echo, dns);
    }

    @Test
    void checksOfClientsThatLeftAreDroppedAndLockNobodyOut() throws Exception {
        tunnelAndEcho(CAROL, CAROL_PASSWORD); // carol's password is now known-good
        List<RawSocksClient> none = flood(false);
        assertThat(none).isEmpty();
        realUsersGetThrough();
        // Every flood login ended one way: refused unchecked, dropped unrun because its client had
        // reset by its turn, or checked and failed (dave's refusal during the flood may add one).
        // Only a few dozen paid bcrypt, and those count against the flood's own addresses.
        double flood = FLOOD_ADDRESSES * LOGINS_PER_ADDRESS;
        assertThat(meter("ferry.login.unchecked", "reason", "source_busy") + meter("ferry.login.unchecked", "reason", "busy")
                + meter("ferry.login.unchecked", "reason", "abandoned") + registry.get("ferry.failed.logins").functionCounter().count())
                .as(outcomes()).isBetween(flood, flood + 1);
        assertThat(meter("ferry.login.unchecked", "reason", "abandoned")).as(outcomes()).isPositive();
        assertThat(registry.get("ferry.failed.logins").functionCounter().count()).as(outcomes())
                .isLessThanOrEqualTo(flood / 4);
        tunnelAndEcho(DAVE, DAVE_PASSWORD);
    }

    @Test
    void clientsThatStayAreBoundedPerAddressAndInAll() throws Exception {
        tunnelAndEcho(CAROL, CAROL_PASSWORD);
        List<RawSocksClient> staying = flood(true);
        try {
            realUsersGetThrough();
            // The first address gets MAX_CHECKS_PER_CLIENT checks and no more; once MAX_WAITING_CHECKS
            // wait, every other login is refused unchecked. Only those admitted pay bcrypt (and count
            // as failures of the flood's own addresses): a few dozen of the 360, not all of them.
            assertThat(meter("ferry.login.unchecked", "reason", "source_busy")).as(outcomes())
                    .isGreaterThanOrEqualTo(LOGINS_PER_ADDRESS - PasswordAuthenticator.MAX_CHECKS_PER_CLIENT);
            assertThat(meter("ferry.login.unchecked", "reason", "busy")).as(outcomes()).isPositive();
            assertThat(registry.get("ferry.failed.logins").functionCounter().count()).as(outcomes())
                    .isLessThanOrEqualTo(FLOOD_ADDRESSES * LOGINS_PER_ADDRESS / 4.0);
            // Every flood client is answered 0x01: at once when refused, after its check when checked.
            for (RawSocksClient client : staying) {
                assertThat(RawSocksClient.hex(client.read(4))).isEqualTo("05 02 01 01");
            }
        } finally {
            for (RawSocksClient client : staying) {
                client.close();
            }
        }
        tunnelAndEcho(DAVE, DAVE_PASSWORD);
    }

    /**
     * carol returns in the middle of a flood and is answered from the cache, not queued behind it;
     * dave's first login is answered at once with 0x01 when the checks are busy, not timed out, and
     * once the admitted checks have ended it is not held against dave's address.
     */
    private void realUsersGetThrough() throws IOException {
        double hitsBefore = meter("ferry.login.cache", "result", "hit");
        tunnelAndEcho(CAROL, CAROL_PASSWORD);
        assertThat(meter("ferry.login.cache", "result", "hit")).isEqualTo(hitsBefore + 1);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            assertThat(Socks5Login.login(client, DAVE, DAVE_PASSWORD)).isIn(0, 1);
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> registry.get("ferry.login.checks").gauge().value() == 0);
    }

    /**
     * Unknown-user logins, each pipelined behind its greeting, LOGINS_PER_ADDRESS from each of
     * FLOOD_ADDRESSES addresses in turn; each client then resets its connection as soon as its
     * greeting is answered, or, with {@code stay}, stays connected and is returned.
     */
    private List<RawSocksClient> flood(boolean stay) throws IOException {
        ByteArrayOutputStream handshake = new ByteArrayOutputStream();
        handshake.write(SocksRequests.socks5GreetingOffering(Socks5Login.PASSWORD_METHOD));
        handshake.write(SocksRequests.rfc1929Login("nobody".getBytes(UTF_8), "guess".getBytes(UTF_8)));
        byte[] bytes = handshake.toByteArray();
        List<RawSocksClient> staying = new ArrayList<>();
        for (int a = 0; a < FLOOD_ADDRESSES; a++) {
            InetAddress source = InetAddress.getByAddress(new byte[] {127, 0, 1, (byte) (10 + a)});
            for (int login = 0; login < LOGINS_PER_ADDRESS; login++) {
                RawSocksClient client = RawSocksClient.connectFrom(source, proxy.address());
                client.send(bytes);
                if (stay) {
                    staying.add(client);
                } else {
                    // The method selection is the answer to the greeting, and the login came in the
                    // same segment: once it is here, the server has read the login too.
                    assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 02");
                    client.socket().setSoLinger(true, 0);
                    client.close();
                }
            }
        }
        return staying;
    }

    private String outcomes() {
        return String.format("source_busy %.0f, busy %.0f, abandoned %.0f, failed %.0f",
                meter("ferry.login.unchecked", "reason", "source_busy"), meter("ferry.login.unchecked", "reason", "busy"),
                meter("ferry.login.unchecked", "reason", "abandoned"),
                registry.get("ferry.failed.logins").functionCounter().count());
    }

    private double meter(String name, String tag, String value) {
        return registry.get(name).tag(tag, value).functionCounter().count();
    }

    private void tunnelAndEcho(String user, String password) throws IOException {
        try (RawSocksClient client = Socks5Login.tunnel(proxy.address(), user, password, echoAddress)) {
            Socks5Login.assertEchoes(client, "ping".getBytes(UTF_8));
        }
    }
}
