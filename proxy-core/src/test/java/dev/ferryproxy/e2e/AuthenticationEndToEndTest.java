package dev.ferryproxy.e2e;

import static dev.ferryproxy.testing.SocksRequests.concat;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.ferryproxy.auth.BcryptCredential;
import dev.ferryproxy.auth.LoginThrottle;
import dev.ferryproxy.auth.PasswordHashing;
import dev.ferryproxy.auth.PlainCredential;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.transport.TransportKind;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.HttpTargetServer;
import dev.ferryproxy.testing.LogCapture;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RawSocksClient.Socks5Reply;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import dev.ferryproxy.testing.SocksRequests;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Authenticator;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * RFC 1929 username/password logins against a server that requires them, driven by curl (both
 * ways of giving it credentials), the JDK's SOCKS client, and raw bytes: method selection, right
 * and wrong passwords for a plain and a bcrypt user, a request pipelined behind a login, the
 * longest user name and password the wire allows, and what the log says about a failed login.
 * After a login with the request pipelined behind it, the client must not be read while the
 * target is dialled (backpressure, on NIO and on epoll).
 *
 * <p>The server's login throttle is set to answer at once and never lock out, so that the wrong
 * logins of one test cannot slow down or refuse those of another ({@code LoginThrottleEndToEndTest}
 * covers the throttle, with a fresh server per test).
 */
@Timeout(60)
class AuthenticationEndToEndTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String WEB_NAME = "web.auth.test";

    private static final String ALICE = "alice";
    private static final String ALICE_PASSWORD = "secret";
    private static final String BOB = "bob";
    private static final String BOB_PASSWORD = "pw";
    /** Only the log test logs in as dave, so no other test can put these passwords near a log line. */
    private static final String DAVE = "dave";
    private static final String DAVE_PASSWORD = "Dave-Pa55word-7f3c";
    private static final String DAVE_WRONG_PASSWORD = "Guess-9b1e-wrong";
    /** 127 two-byte chars and one ASCII char: 255 bytes in UTF-8, so ULEN is 0xFF. */
    private static final String LONGEST_USER = "\u00fc".repeat(127) + "x";
    /** 255 bytes, half of them above 0x7F, so PLEN is 0xFF and no byte may go through a charset. */
    private static final byte[] LONGEST_PASSWORD = longestPassword();

    private static DnsStub dns;
    private static HttpTargetServer web;
    private static EchoServer echo;
    private static RunningProxy proxy;
    private static InetSocketAddress echoAddress;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of(WEB_NAME, List.of(Loopback.IPV4)));
        web = HttpTargetServer.start(Loopback.IPV4, SeededBytes.generate(1929, 64 * 1024));
        echo = EchoServer.start(Loopback.IPV4);
        echoAddress = new InetSocketAddress(Loopback.IPV4, echo.port());
        UserDirectory users = UserDirectory.of(Map.of(
                ALICE, new PlainCredential(ALICE_PASSWORD.getBytes(UTF_8)),
                BOB, BcryptCredential.parse(PasswordHashing.hash(BOB_PASSWORD.getBytes(UTF_8))),
                DAVE, new PlainCredential(DAVE_PASSWORD.getBytes(UTF_8)),
                LONGEST_USER, new PlainCredential(LONGEST_PASSWORD)));
        ProxyPolicy policy = new ProxyPolicy(new AccessRules(List.of()), users, true);
        LoginThrottle.Settings noThrottle = new LoginThrottle.Settings(Duration.ZERO, Duration.ZERO, 1_000_000,
                Duration.ofMinutes(1), Duration.ofMinutes(10));
        proxy = RunningProxy.start(dns.address(), b -> b.policy(policy).loginThrottle(noThrottle).workerThreads(2));
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(proxy, echo, web, dns);
    }

    private static byte[] longestPassword() {
        byte[] password = new byte[255];
        for (int i = 0; i < password.length; i++) {
            password[i] = (byte) (i % 2 == 0 ? 0x80 + i % 0x7F : 'a' + i % 26);
        }
        return password;
    }

    // ---- curl ----

    @Test
    void curlLogsInWithProxyUserOption() throws Exception {
        Curl.Result result = Curl.fetch(
                List.of("--socks5-hostname", proxy.hostAndPort(), "-U", ALICE + ":" + ALICE_PASSWORD), web.url(WEB_NAME));

        assertFetchedBody(result);
    }

    @Test
    void curlLogsInWithCredentialsInProxyUrl() throws Exception {
        Curl.Result result = Curl.fetch(
                List.of("-x", "socks5h://" + ALICE + ":" + ALICE_PASSWORD + "@" + proxy.hostAndPort()), web.url(WEB_NAME));

        assertFetchedBody(result);
    }

    @Test
    void curlLogsInAsBcryptUser() throws Exception {
        Curl.Result result = Curl.fetch(
                List.of("-x", "socks5h://" + BOB + ":" + BOB_PASSWORD + "@" + proxy.hostAndPort()), web.url(WEB_NAME));

        assertFetchedBody(result);
    }

    @Test
    void curlWithWrongPasswordFailsAndGetsNothing() throws Exception {
        Curl.Result result = Curl.fetch(
                List.of("--socks5-hostname", proxy.hostAndPort(), "-U", ALICE + ":not-" + ALICE_PASSWORD), web.url(WEB_NAME));

        // 97 is CURLE_PROXY: the proxy handshake failed.
        assertThat(result.exitCode()).as("%s", result).isEqualTo(97);
        assertThat(result.body()).as("%s", result).isEmpty();
    }

    @Test
    void curlWithWrongBcryptPasswordFails() throws Exception {
        Curl.Result result = Curl.fetch(
                List.of("-x", "socks5h://" + BOB + ":wrong@" + proxy.hostAndPort()), web.url(WEB_NAME));

        assertThat(result.exitCode()).as("%s", result).isEqualTo(97);
        assertThat(result.body()).as("%s", result).isEmpty();
    }

    @Test
    void curlWithoutCredentialsFindsNoAcceptableMethod() throws Exception {
        Curl.Result result = Curl.fetch("--socks5-hostname", proxy.hostAndPort(), web.url(WEB_NAME));

        assertThat(result.exitCode()).as("%s", result).isEqualTo(97);
        assertThat(result.body()).as("%s", result).isEmpty();
    }

    private static void assertFetchedBody(Curl.Result result) {
        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(SeededBytes.sha256Hex(result.body())).as("%s", result).isEqualTo(SeededBytes.sha256Hex(web.body()));
    }

    // ---- the JDK's SOCKS client ----

    @Test
    void jdkClientWithRightPasswordRelays() throws Exception {
        byte[] payload = SeededBytes.generate(17, 32 * 1024);
        withSocksCredentials(ALICE, ALICE_PASSWORD, () -> {
            try (Socket socket = new Socket(proxy.jdkProxy())) {
                socket.setSoTimeout(Math.toIntExact(TIMEOUT.toMillis()));
                socket.connect(echoAddress, Math.toIntExact(TIMEOUT.toMillis()));
                // 32 KiB fits in the socket buffers both ways: write all, then read all back.
                socket.getOutputStream().write(payload);
                socket.shutdownOutput();
                assertThat(socket.getInputStream().readAllBytes()).isEqualTo(payload);
            }
        });
    }

    @Test
    void jdkClientWithWrongPasswordFails() throws Exception {
        withSocksCredentials(ALICE, "wrong", () -> {
            try (Socket socket = new Socket(proxy.jdkProxy())) {
                socket.setSoTimeout(Math.toIntExact(TIMEOUT.toMillis()));
                assertThatThrownBy(() -> socket.connect(echoAddress, Math.toIntExact(TIMEOUT.toMillis())))
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining("authentication failed");
            }
        });
    }

    /** The JDK's SOCKS client asks only the default Authenticator; it is global, so it is put back after. */
    private static void withSocksCredentials(String user, String password, ThrowingRunnable body) throws Exception {
        Authenticator previous = Authenticator.getDefault();
        Authenticator.setDefault(new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                if (getRequestorType() == RequestorType.SERVER && "SOCKS5".equals(getRequestingProtocol())) {
                    return new PasswordAuthentication(user, password.toCharArray());
                }
                return null;
            }
        });
        try {
            body.run();
        } finally {
            Authenticator.setDefault(previous);
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    // ---- raw bytes: method selection ----

    static Stream<Arguments> greetingsWithoutPasswordMethod() {
        return Stream.of(
                Arguments.of((Object) new int[] {0x00}),
                Arguments.of((Object) new int[] {0x01}),
                Arguments.of((Object) new int[] {0x00, 0x01, 0x80, 0xFE}));
    }

    @ParameterizedTest(name = "methods {0}")
    @MethodSource("greetingsWithoutPasswordMethod")
    void greetingWithoutPasswordMethodGetsNoAcceptableMethodThenClose(int[] methods) throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(SocksRequests.socks5GreetingOffering(methods));

            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 ff");
            Socks5Login.assertClosedByServer(client);
        }
    }

    static Stream<Arguments> greetingsWithPasswordMethod() {
        return Stream.of(
                Arguments.of((Object) new int[] {0x00, 0x02}),
                Arguments.of((Object) new int[] {0x02, 0x00}),
                Arguments.of((Object) new int[] {0x01, 0x80, 0x02}),
                Arguments.of((Object) new int[] {0x02}));
    }

    @ParameterizedTest(name = "methods {0}")
    @MethodSource("greetingsWithPasswordMethod")
    void greetingOfferingPasswordMethodAnywhereGetsIt(int[] methods) throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(SocksRequests.socks5GreetingOffering(methods));

            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 02");
            client.send(SocksRequests.rfc1929Login(ALICE, ALICE_PASSWORD));
            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("01 00");
            client.send(SocksRequests.socks5Connect(echoAddress));
            assertThat(client.readSocks5Reply().rep()).isZero();
            Socks5Login.assertEchoes(client, "after login".getBytes(UTF_8));
        }
    }

    // ---- raw bytes: logins ----

    static Stream<Arguments> failedLogins() {
        return Stream.of(
                Arguments.of("wrong password", ALICE.getBytes(UTF_8), "secreT".getBytes(UTF_8)),
                Arguments.of("right password plus a byte", ALICE.getBytes(UTF_8), (ALICE_PASSWORD + "!").getBytes(UTF_8)),
                Arguments.of("user name in another case", "Alice".getBytes(UTF_8), ALICE_PASSWORD.getBytes(UTF_8)),
                Arguments.of("unknown user", "mallory".getBytes(UTF_8), ALICE_PASSWORD.getBytes(UTF_8)),
                Arguments.of("another user's password", BOB.getBytes(UTF_8), ALICE_PASSWORD.getBytes(UTF_8)),
                Arguments.of("wrong bcrypt password", BOB.getBytes(UTF_8), "pW".getBytes(UTF_8)),
                Arguments.of("longest password, last byte wrong", LONGEST_USER.getBytes(UTF_8), lastByteFlipped()));
    }

    private static byte[] lastByteFlipped() {
        byte[] password = LONGEST_PASSWORD.clone();
        password[password.length - 1] ^= 1;
        return password;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failedLogins")
    void failedLoginGetsStatusOneThenClose(String description, byte[] user, byte[] password) throws Exception {
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            assertThat(Socks5Login.login(client, user, password)).isEqualTo(1);
            Socks5Login.assertClosedByServer(client);
        }
    }

    @Test
    void rightPasswordForBcryptUserLogsIn() throws Exception {
        try (RawSocksClient client = Socks5Login.tunnel(proxy.address(), BOB, BOB_PASSWORD, echoAddress)) {
            Socks5Login.assertEchoes(client, "bcrypt".getBytes(UTF_8));
        }
    }

    @Test
    void longestUserNameAndPasswordLogIn() throws Exception {
        byte[] user = LONGEST_USER.getBytes(UTF_8);
        assertThat(user).hasSize(255);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(SocksRequests.socks5GreetingOffering(Socks5Login.PASSWORD_METHOD));
            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 02");
            byte[] login = SocksRequests.rfc1929Login(user, LONGEST_PASSWORD);
            assertThat(login[1] & 0xFF).as("ULEN").isEqualTo(255);
            assertThat(login[2 + 255] & 0xFF).as("PLEN").isEqualTo(255);
            client.send(login);

            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("01 00");
            client.send(SocksRequests.socks5Connect(echoAddress));
            assertThat(client.readSocks5Reply().rep()).isZero();
            Socks5Login.assertEchoes(client, "long names".getBytes(UTF_8));
        }
    }

    /**
     * A client that sends its request right behind a wrong password must not have it served:
     * RFC 1929 says the server closes. The target never sees that connection. The proof does not
     * rest on waiting: a CONNECT could only be dialled before the proxy closed this client, so the
     * first connection the echo target accepts afterwards, if it is the one a later good client
     * asked for, shows that nothing came before it.
     */
    @Test
    void requestPipelinedBehindWrongPasswordIsNeverServed() throws Exception {
        try (EchoServer target = EchoServer.start(Loopback.IPV4)) {
            InetSocketAddress targetAddress = new InetSocketAddress(Loopback.IPV4, target.port());
            try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
                client.send(concat(SocksRequests.socks5GreetingOffering(Socks5Login.PASSWORD_METHOD),
                        SocksRequests.rfc1929Login(ALICE, "wrong"),
                        SocksRequests.socks5Connect(targetAddress),
                        "payload that must go nowhere".getBytes(UTF_8)));

                assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 02");
                assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("01 01");
                Socks5Login.assertClosedByServer(client);
            }
            assertThat(target.acceptedCount()).as("connections the target accepted").isZero();

            try (RawSocksClient good = RawSocksClient.connect(proxy.address())) {
                Socks5Reply reply = Socks5Login.loginAndConnect(good, ALICE, ALICE_PASSWORD,
                        SocksRequests.socks5Connect(targetAddress));
                assertThat(reply.rep()).isZero();
                assertThat(target.awaitPeer(TIMEOUT)).as("first peer of the target (the proxy's outbound socket)")
                        .isEqualTo(reply.bnd());
                assertThat(target.acceptedCount()).isEqualTo(1);
            }
        }
    }

    @Test
    void loginRequestAndPayloadInOneWriteAreAllServed() throws Exception {
        byte[] payload = SeededBytes.generate(1928, 8 * 1024);
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            client.send(concat(SocksRequests.socks5GreetingOffering(Socks5Login.PASSWORD_METHOD),
                    SocksRequests.rfc1929Login(ALICE, ALICE_PASSWORD),
                    SocksRequests.socks5Connect(echoAddress),
                    payload));

            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 02");
            assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("01 00");
            assertThat(client.readSocks5Reply().rep()).isZero();
            assertThat(client.read(payload.length)).isEqualTo(payload);
            client.shutdownOutput();
            assertThat(client.readUntilEof()).isEmpty();
        }
    }

    /**
     * After a login that had the request pipelined behind it, the proxy must stop reading the
     * client while it dials the target, as it does for every request: otherwise a client can pour
     * any amount of data into the proxy's memory while a slow name resolves. The DNS stub holds
     * its answer; a writer pushes 16 MiB. Once its count stops growing, far less than that may
     * have left it (the socket buffers, which this test keeps small on the client's side). Then the
     * answer comes, and all of it must arrive, echoed, in order.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TransportKind.class, names = {"NIO", "EPOLL", "IO_URING"})
    void clientIsNotReadWhileTargetIsDialledAfterPipelinedLogin(TransportKind transport) throws Exception {
        Transports.assumeAvailable(transport);
        int total = 16 * 1024 * 1024;
        try (DnsStub heldDns = DnsStub.start(Map.of("held.auth.test", List.of(Loopback.IPV4)));
                RunningProxy server = RunningProxy.start(heldDns.address(), b -> b
                        .policy(proxy.server().policy())
                        .transport(transport)
                        .dnsQueryTimeout(Duration.ofSeconds(20))
                        .workerThreads(1));
                Socket socket = new Socket()) {
            // A small, fixed send buffer (set before connecting, so the kernel does not grow it).
            socket.setSendBufferSize(64 * 1024);
            socket.setTcpNoDelay(true);
            socket.connect(server.address(), Math.toIntExact(TIMEOUT.toMillis()));
            socket.setSoTimeout(Math.toIntExact(TIMEOUT.toMillis()));
            RawSocksClient client = RawSocksClient.over(socket);
            CompletableFuture<String> writer;
            heldDns.pauseAnswers();
            try {
                client.send(concat(SocksRequests.socks5GreetingOffering(Socks5Login.PASSWORD_METHOD),
                        SocksRequests.rfc1929Login(ALICE, ALICE_PASSWORD),
                        SocksRequests.socks5Connect("held.auth.test", echo.port())));
                assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 02");
                assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("01 00");
                // The question proves the request was taken up: the proxy is now waiting for the name.
                heldDns.awaitQuestion("held.auth.test", TIMEOUT);

                AtomicLong written = new AtomicLong();
                writer = Background.call("pipelined-login-writer", () -> {
                    String sent = SeededBytes.writeAndDigest(new CountingOutputStream(socket.getOutputStream(), written),
                            1961, total);
                    socket.shutdownOutput();
                    return sent;
                });
                long plateau = awaitNoProgress(written, writer, Duration.ofMillis(500));
                assertThat(plateau).as("bytes the client could write while the proxy was dialling")
                        .isLessThan(total / 2);
            } finally {
                heldDns.resumeAnswers();
            }

            CompletableFuture<SeededBytes.Digest> reader = Background.call("pipelined-login-reader", () -> {
                Socks5Reply reply = client.readSocks5Reply();
                assertThat(reply.rep()).isZero();
                return SeededBytes.readAndDigest(socket.getInputStream());
            });
            SeededBytes.Digest echoed = reader.get(30, TimeUnit.SECONDS);
            assertThat(echoed.count()).isEqualTo(total);
            assertThat(echoed.sha256()).isEqualTo(writer.get(30, TimeUnit.SECONDS));
        }
    }

    /** Waits until {@code counter} has not moved for {@code quiet} (or the writer ended); returns its value. */
    private static long awaitNoProgress(AtomicLong counter, CompletableFuture<?> writer, Duration quiet) {
        long[] last = {-1};
        long[] lastChange = {System.nanoTime()};
        Awaitility.await("the writer to stall").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    long now = counter.get();
                    if (now != last[0]) {
                        last[0] = now;
                        lastChange[0] = System.nanoTime();
                        return false;
                    }
                    return writer.isDone() || System.nanoTime() - lastChange[0] >= quiet.toNanos();
                });
        assertThat(writer).as("the writer").isNotCompletedExceptionally();
        return counter.get();
    }

    /** Counts what passes through to {@code out}, updated after each write returns. */
    private static final class CountingOutputStream extends FilterOutputStream {
        private final AtomicLong count;

        CountingOutputStream(OutputStream out, AtomicLong count) {
            super(out);
            this.count = count;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            out.write(bytes, offset, length);
            count.addAndGet(length);
        }
    }

    // ---- the log ----

    /** A user name is the client's text: control characters in it are escaped, so it cannot forge log lines. */
    @Test
    void userNameWithControlCharactersCannotForgeLogLines() throws Exception {
        String forged = "mallory\n12:00:00.000 INFO login as 'alice' ok";
        try (LogCapture log = LogCapture.of("dev.ferryproxy")) {
            try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
                assertThat(Socks5Login.login(client, forged, "whatever")).isEqualTo(1);
                Socks5Login.assertClosedByServer(client);
            }
            String line = log.awaitMessage("the failed login's log line",
                    m -> m.contains("failed login") && m.contains("INFO login as"), TIMEOUT);
            assertThat(line).contains("mallory\\x0a12:00:00.000").doesNotContain("\n");
        }
    }

    @Test
    void failedLoginIsLoggedWithUserAndClientButNeverThePassword() throws Exception {
        try (LogCapture log = LogCapture.of("dev.ferryproxy")) {
            try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
                assertThat(Socks5Login.login(client, DAVE, DAVE_WRONG_PASSWORD)).isEqualTo(1);
                Socks5Login.assertClosedByServer(client);
            }
            try (RawSocksClient client = Socks5Login.tunnel(proxy.address(), DAVE, DAVE_PASSWORD, echoAddress)) {
                Socks5Login.assertEchoes(client, "logged".getBytes(UTF_8));
            }

            String line = log.awaitMessage("the failed login's log line",
                    m -> m.contains("failed login") && m.contains(DAVE), TIMEOUT);
            assertThat(line).contains("'" + DAVE + "'").contains("127.0.0.1");
            List<ILoggingEvent> events = log.events();
            assertThat(events).isNotEmpty();
            for (ILoggingEvent event : events) {
                assertThat(LogCapture.everythingIn(event))
                        .doesNotContain(DAVE_PASSWORD)
                        .doesNotContain(DAVE_WRONG_PASSWORD);
            }
        }
    }
}
