package dev.ferryproxy.app;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.auth.LoginThrottle;
import dev.ferryproxy.auth.PlainCredential;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.TcpTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ferry check}: the step list, with timings, against a working proxy (without and with a
 * login, SOCKS5 and SOCKS4a, a chain, names resolved here), and each way it can fail: a target
 * that refuses, a wrong password, no password, something that is not a SOCKS server, no proxy.
 */
@Timeout(120)
class CheckIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String ECHO_NAME = "echo.check.test";
    /** A step line: its time in milliseconds, then the step. */
    private static final Pattern STEP = Pattern.compile("^ *(\\d+\\.\\d) ms  (.*)$");

    private static DnsStub dns;
    private static RunningProxy proxy;
    private static RunningProxy secondProxy;
    private static RunningProxy passwordProxy;
    private static EchoServer echo;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of(ECHO_NAME, List.of(Loopback.IPV4)));
        proxy = RunningProxy.start(dns.address());
        secondProxy = RunningProxy.start(dns.address());
        ProxyPolicy alice = new ProxyPolicy(new AccessRules(List.of()),
                UserDirectory.of(Map.of("alice", new PlainCredential("s3cret-pw".getBytes(UTF_8)))), true);
        LoginThrottle.Settings noThrottle = new LoginThrottle.Settings(Duration.ZERO, Duration.ZERO, 1_000_000,
                Duration.ofMinutes(1), Duration.ofMinutes(10));
        passwordProxy = RunningProxy.start(dns.address(), b -> b.policy(alice).loginThrottle(noThrottle));
        echo = EchoServer.start(Loopback.IPV4);
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(proxy, secondProxy, passwordProxy, echo, dns);
    }

    /** Runs {@code ferry check ARGS} to its end. */
    private static Result check(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("check", "--dns-server", dns.address().getHostString() + ":"
                + dns.address().getPort()));
        command.addAll(List.of(args));
        try (FerryProcess ferry = FerryProcess.startJar(command.toArray(new String[0]))) {
            int exit = ferry.awaitExit();
            return new Result(exit, ferry.stdout(), ferry.stderr());
        }
    }

    private record Result(int exitCode, String stdout, String stderr) {
        List<String> lines() {
            return stdout.lines().toList();
        }

        /** The steps, without their times. */
        List<String> steps() {
            return lines().stream().map(STEP::matcher).filter(Matcher::matches).map(m -> m.group(2)).toList();
        }

        /** The steps' times, in order. */
        List<Double> times() {
            return lines().stream().map(STEP::matcher).filter(Matcher::matches)
                    .map(m -> Double.parseDouble(m.group(1))).toList();
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
        }
    }

    private static String uri(RunningProxy server) {
        return "socks5h://" + server.hostAndPort();
    }

    @Test
    void aWorkingProxyGetsEveryStepWithItsTimeAndDataFlows() throws Exception {
        Result result = check("--proxy", uri(proxy), "--target", "127.0.0.1:" + echo.port(), "--send", "ping\\n");
        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.lines()).as("%s", result).startsWith("proxy   " + uri(proxy), "target  127.0.0.1:" + echo.port())
                .endsWith("OK");
        List<String> steps = result.steps();
        assertThat(steps).as("%s", result).hasSize(7);
        assertThat(steps.get(0)).matches("TCP connected to " + Pattern.quote(proxy.hostAndPort())
                + " from 127\\.0\\.0\\.1:\\d+");
        assertThat(steps.subList(1, 4)).containsExactly(
                "greeting sent, methods: no authentication (0x00)",
                "method chosen: no authentication (0x00)",
                "CONNECT 127.0.0.1:" + echo.port() + " sent");
        assertThat(steps.get(4)).matches("reply 0x00 succeeded, bound 127\\.0\\.0\\.1:\\d+");
        assertThat(steps.subList(5, 7)).containsExactly(
                "sent 5 bytes: \"ping\\n\"",
                "data flows: sent 5 bytes, got 5 bytes back: \"ping\\n\"");
        assertThat(result.times()).as("times in order").isSorted();
    }

    @Test
    void aLoginIsShownStepByStepWithThePasswordHidden() throws Exception {
        String uri = "socks5h://alice:s3cret-pw@" + passwordProxy.hostAndPort();
        Result result = check("--proxy", uri, "--target", "127.0.0.1:" + echo.port(), "--send", "x");
        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.lines()).first().isEqualTo("proxy   socks5h://alice:***@" + passwordProxy.hostAndPort());
        assertThat(result.steps()).as("%s", result).contains(
                "greeting sent, methods: no authentication (0x00), username/password (0x02)",
                "method chosen: username/password (0x02)",
                "login accepted",
                "data flows: sent 1 byte, got 1 byte back: \"x\"");
        assertThat(result.stdout() + result.stderr()).doesNotContain("s3cret-pw");
    }

    @Test
    void aRefusingTargetFailsAtTheReplyWithItsCodeAndMeaning() throws Exception {
        int closed = Loopback.closedPort(Loopback.IPV4).getPort();
        Result result = check("--proxy", uri(proxy), "--target", "127.0.0.1:" + closed, "--send", "ping");
        assertThat(result.exitCode()).as("%s", result).isEqualTo(1);
        assertThat(result.steps()).as("%s", result).last().isEqualTo("reply 0x05 connection refused");
        assertThat(result.stdout()).contains("error   " + uri(proxy)
                + ": request failed with SOCKS5 reply 0x05: connection refused", "hint    ");
        assertThat(result.lines()).last().isEqualTo("FAILED");
        assertThat(result.stdout()).doesNotContain("data flows", "sent 4 bytes");
    }

    @Test
    void aWrongPasswordFailsAtTheLogin() throws Exception {
        String uri = "socks5h://alice:wrong@" + passwordProxy.hostAndPort();
        Result result = check("--proxy", uri, "--target", "127.0.0.1:" + echo.port());
        assertThat(result.exitCode()).as("%s", result).isEqualTo(1);
        assertThat(result.steps()).as("%s", result).endsWith("method chosen: username/password (0x02)",
                "login refused");
        assertThat(result.stdout()).contains("user name or password refused (RFC 1929 status 0x01)")
                .doesNotContain("wrong");
        assertThat(result.lines()).last().isEqualTo("FAILED");
    }

    @Test
    void noPasswordForAProxyThatWantsOneFailsAtTheMethod() throws Exception {
        Result result = check("--proxy", uri(passwordProxy), "--target", "127.0.0.1:" + echo.port());
        assertThat(result.exitCode()).as("%s", result).isEqualTo(1);
        assertThat(result.steps()).as("%s", result).last().isEqualTo("method chosen: no acceptable methods (0xFF)");
        assertThat(result.stdout()).contains("no acceptable authentication method", "USER:PASSWORD");
    }

    @Test
    void somethingThatIsNotASocksServerGetsAMalformedReply() throws Exception {
        try (TcpTarget http = TcpTarget.start(Loopback.IPV4)) {
            CompletableFuture<byte[]> greeting = CompletableFuture.supplyAsync(() -> {
                try (Socket socket = http.accept(TIMEOUT)) {
                    byte[] first = socket.getInputStream().readNBytes(3);
                    socket.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
                            .getBytes(US_ASCII));
                    drain(socket.getInputStream());
                    return first;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            Result result = check("--proxy", "socks5h://127.0.0.1:" + http.address().getPort(),
                    "--target", "127.0.0.1:" + echo.port());
            assertThat(result.exitCode()).as("%s", result).isEqualTo(1);
            assertThat(result.steps()).as("%s", result).last()
                    .isEqualTo("greeting sent, methods: no authentication (0x00)");
            assertThat(result.stdout()).contains("malformed reply", "0x48", "is it a SOCKS server");
            assertThat(greeting.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).containsExactly(5, 1, 0);
        }
    }

    @Test
    void noProxyListeningFailsAtTheTcpConnection() throws Exception {
        int closed = Loopback.closedPort(Loopback.IPV4).getPort();
        Result result = check("--proxy", "socks5h://127.0.0.1:" + closed, "--target", "127.0.0.1:" + echo.port());
        assertThat(result.exitCode()).as("%s", result).isEqualTo(1);
        assertThat(result.steps()).containsExactly("TCP connect to 127.0.0.1:" + closed + " failed: Connection refused");
        assertThat(result.lines()).last().isEqualTo("FAILED");
    }

    @Test
    void socks4aRepliesAreShownInDecimal() throws Exception {
        Result result = check("--proxy", "socks4a://" + proxy.hostAndPort(), "--target", "localhost:" + echo.port(),
                "--send", "\\x00\\xff\\r\\n");
        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.steps()).as("%s", result).doesNotContain("greeting sent")
                .contains("CONNECT localhost:" + echo.port() + " sent",
                        "data flows: sent 4 bytes, got 4 bytes back: \"\\x00\\xFF\\r\\n\"");
        assertThat(result.steps()).anyMatch(s -> s.matches("reply 90 request granted, bound 127\\.0\\.0\\.1:\\d+"));
    }

    @Test
    void namesResolvedHereAreShownForSocks5() throws Exception {
        Result result = check("--proxy", "socks5://" + proxy.hostAndPort(), "--target", ECHO_NAME + ":" + echo.port(),
                "--send", "hi");
        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.steps()).as("%s", result).contains(
                "resolved " + ECHO_NAME + " to 127.0.0.1 here (the scheme sends addresses, not names)",
                "CONNECT 127.0.0.1:" + echo.port() + " sent");
    }

    @Test
    void aChainShowsEachHop() throws Exception {
        Result result = check("--proxy", uri(proxy), "--proxy", uri(secondProxy),
                "--target", "127.0.0.1:" + echo.port(), "--send", "hop");
        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.lines()).startsWith("proxy   " + uri(proxy) + "   (hop 1 of 2)",
                "proxy   " + uri(secondProxy) + "   (hop 2 of 2)");
        assertThat(result.steps()).as("%s", result).contains(
                "hop 1 of 2: " + uri(proxy),
                "CONNECT " + secondProxy.hostAndPort() + " sent",
                "hop 2 of 2: " + uri(secondProxy) + ", through the tunnel of hop 1",
                "CONNECT 127.0.0.1:" + echo.port() + " sent",
                "data flows: sent 3 bytes, got 3 bytes back: \"hop\"");
        assertThat(result.steps().stream().filter(s -> s.startsWith("reply 0x00 succeeded"))).hasSize(2);
    }

    @Test
    void aTargetThatSpeaksFirstIsHeardWithoutSending() throws Exception {
        try (TcpTarget banner = TcpTarget.start(Loopback.IPV4)) {
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (Socket socket = banner.accept(TIMEOUT)) {
                    socket.getOutputStream().write("SSH-2.0-FerryTest_1.0\r\n".getBytes(US_ASCII));
                    drain(socket.getInputStream());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            Result result = check("--proxy", uri(proxy), "--target", "127.0.0.1:" + banner.address().getPort());
            assertThat(result.exitCode()).as("%s", result).isZero();
            assertThat(result.steps()).as("%s", result)
                    .contains("data flows: the target spoke first, 23 bytes: \"SSH-2.0-FerryTest_1.0\\r\\n\"");
            served.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void silenceIsReportedAfterTheWait() throws Exception {
        Result result = check("--proxy", uri(proxy), "--target", "127.0.0.1:" + echo.port(), "--wait", "300ms");
        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.steps()).as("%s", result).last().isEqualTo(
                "no data: the target sent nothing within 300 ms (it may wait for the client to speak first; try --send)");
    }

    @Test
    void malformedOptionsExitTwo() throws Exception {
        Result missingTarget = check("--proxy", uri(proxy));
        assertThat(missingTarget.exitCode()).isEqualTo(2);
        assertThat(missingTarget.stderr()).contains("Missing required option: '--target=HOST:PORT'");
        Result badEscape = check("--proxy", uri(proxy), "--target", "127.0.0.1:1", "--send", "\\q");
        assertThat(badEscape.exitCode()).isEqualTo(2);
        assertThat(badEscape.stderr()).contains("Invalid value for option '--send'", "no escape");
        Result ipv6OverSocks4 = check("--proxy", "socks4a://" + proxy.hostAndPort(), "--target", "[::1]:22");
        assertThat(ipv6OverSocks4.exitCode()).isEqualTo(2);
        assertThat(ipv6OverSocks4.stderr()).contains("cannot carry the IPv6 address of [::1]:22");
        assertThat(ipv6OverSocks4.stdout()).isEmpty();
    }

    /** Reads until the peer closes (or the read times out). */
    private static void drain(InputStream in) {
        try {
            in.readAllBytes();
        } catch (IOException e) {
            // the check closed the connection, or it timed out: either way it is over
        }
    }
}
