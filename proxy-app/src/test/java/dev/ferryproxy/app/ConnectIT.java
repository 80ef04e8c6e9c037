package dev.ferryproxy.app;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import dev.ferryproxy.testing.TcpTarget;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ferry connect}: a tunnel joined to standard input and output, the way ssh runs a
 * {@code ProxyCommand}: a few MiB through an echo target, the half-close of standard input, a
 * protocol in which the server speaks first (as SSH does), ssh itself, and the failures.
 */
@Timeout(120)
class ConnectIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private static DnsStub dns;
    private static RunningProxy proxy;
    private static EchoServer echo;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of());
        proxy = RunningProxy.start(dns.address());
        echo = EchoServer.start(Loopback.IPV4);
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(proxy, echo, dns);
    }

    private static String proxyUri() {
        return "socks5h://" + proxy.hostAndPort();
    }

    private static FerryProcess.Launch connect(String... hostAndPort) {
        String[] args = {"connect", "--proxy", proxyUri(), "--dns-server", ConfigurationIT.LOOPBACK_DNS};
        String[] all = Arrays.copyOf(args, args.length + hostAndPort.length);
        System.arraycopy(hostAndPort, 0, all, args.length, hostAndPort.length);
        return FerryProcess.jarCommand(all);
    }

    @Test
    void aFewMebibytesGoThroughTheTunnelAndComeBackUnchanged() throws Exception {
        long length = 4L * 1024 * 1024 + 17;
        // --log-level info: the log lines must go to standard error, never into the tunnel's bytes
        try (FerryProcess ferry = FerryProcess.jarCommand("connect", "--proxy", proxyUri(), "--log-level", "info",
                "--dns-server", ConfigurationIT.LOOPBACK_DNS, "localhost", Integer.toString(echo.port()))
                .rawStreams().start()) {
            CompletableFuture<String> sent = CompletableFuture.supplyAsync(() -> {
                try (OutputStream stdin = ferry.stdin()) {
                    return SeededBytes.writeAndDigest(stdin, 20_240_601, length);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            SeededBytes.Digest received;
            try (InputStream stdout = ferry.stdoutStream()) {
                received = SeededBytes.readAndDigest(stdout);
            }
            assertThat(ferry.awaitExit()).as("stderr: %s", ferry.stderr()).isZero();
            assertThat(received.count()).isEqualTo(length);
            assertThat(received.sha256()).isEqualTo(sent.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            assertThat(ferry.stderr()).contains("INFO", "tunnel to localhost:" + echo.port() + " open through "
                    + proxyUri());
        }
    }

    @Test
    void theEndOfStandardInputIsAHalfCloseAndTheAnswerStillComes() throws Exception {
        try (TcpTarget target = TcpTarget.start(Loopback.IPV4);
                FerryProcess ferry = connect("127.0.0.1", Integer.toString(target.address().getPort()))
                        .stdin("question\n").start()) {
            Socket server = target.accept(TIMEOUT);
            // read to the end: the end of ferry's standard input must arrive as the end of the stream
            assertThat(new String(server.getInputStream().readAllBytes(), US_ASCII)).isEqualTo("question\n");
            server.getOutputStream().write("answer after the end of input\n".getBytes(US_ASCII));
            server.close();
            assertThat(ferry.awaitExit()).as("stderr: %s", ferry.stderr()).isZero();
            assertThat(ferry.stdout()).isEqualTo("answer after the end of input");
        }
    }

    /**
     * As ssh uses a ProxyCommand: the server speaks first (its identification), the client
     * answers, binary packets go both ways, and the session ends from the server's side while
     * ssh still holds the command's standard input open.
     */
    @Test
    void carriesAServerFirstProtocolAsSshDoesAndEndsWithTheServer() throws Exception {
        try (TcpTarget target = TcpTarget.start(Loopback.IPV4);
                FerryProcess ferry = connect("localhost", Integer.toString(target.address().getPort()))
                        .rawStreams().start()) {
            Socket server = target.accept(TIMEOUT);
            DataInputStream fromServer = new DataInputStream(server.getInputStream());
            DataInputStream fromFerry = new DataInputStream(ferry.stdoutStream());
            OutputStream toFerry = ferry.stdin();

            byte[] serverId = "SSH-2.0-FerryTest_1.0\r\n".getBytes(US_ASCII);
            server.getOutputStream().write(serverId);
            assertThat(readExactly(fromFerry, serverId.length)).isEqualTo(serverId);

            byte[] clientId = "SSH-2.0-FerryClient_1.0\r\n".getBytes(US_ASCII);
            toFerry.write(clientId);
            toFerry.flush();
            assertThat(readExactly(fromServer, clientId.length)).isEqualTo(clientId);

            for (int round = 0; round < 5; round++) {
                byte[] up = SeededBytes.generate(round, 40_000 + round);
                toFerry.write(up);
                toFerry.flush();
                assertThat(readExactly(fromServer, up.length)).isEqualTo(up);
                byte[] down = SeededBytes.generate(100 + round, 70_000 - round);
                server.getOutputStream().write(down);
                assertThat(readExactly(fromFerry, down.length)).isEqualTo(down);
            }

            server.close();
            assertThat(fromFerry.read()).as("end of standard output").isEqualTo(-1);
            assertThat(ferry.awaitExit()).as("stderr: %s", ferry.stderr()).isZero();
        }
    }

    /** The real ssh, with ferry as its ProxyCommand, as far as an SSH server that only exchanges identifications. */
    @Test
    void sshRunsItAsItsProxyCommand() throws Exception {
        Path ssh = Path.of("/usr/bin/ssh");
        assumeTrue(Files.isExecutable(ssh), "ssh is not installed");
        try (TcpTarget target = TcpTarget.start(Loopback.IPV4)) {
            byte[] serverId = "SSH-2.0-FerryFakeServer_1.0\r\n".getBytes(US_ASCII);
            CompletableFuture<String> clientId = CompletableFuture.supplyAsync(() -> {
                try (Socket server = target.accept(TIMEOUT)) {
                    server.getOutputStream().write(serverId);
                    return readLine(server.getInputStream());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            String proxyCommand = "'" + Path.of(System.getProperty("java.home"), "bin", "java") + "' -jar '"
                    + FerryProcess.jar().toAbsolutePath() + "' connect --proxy " + proxyUri()
                    + " --dns-server " + ConfigurationIT.LOOPBACK_DNS + " %h %p";
            Process client = new ProcessBuilder(ssh.toString(), "-F", "/dev/null",
                    "-o", "ProxyCommand=" + proxyCommand,
                    "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                    "-o", "ConnectTimeout=20",
                    "-p", Integer.toString(target.address().getPort()), "ferry@localhost", "true")
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectErrorStream(true)
                    .start();
            try {
                String output = new String(client.getInputStream().readAllBytes(), US_ASCII);
                assertThat(client.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("ssh ended").isTrue();
                assertThat(clientId.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("ssh output: %s", output)
                        .startsWith("SSH-2.0-OpenSSH");
            } finally {
                client.destroyForcibly();
            }
        }
    }

    @Test
    void aRefusedTargetExitsOneWithTheReplyCodeAndItsMeaning() throws Exception {
        int closed = Loopback.closedPort(Loopback.IPV4).getPort();
        try (FerryProcess ferry = connect("127.0.0.1", Integer.toString(closed)).start()) {
            assertThat(ferry.awaitExit()).isEqualTo(1);
            assertThat(ferry.stderr()).contains("ferry connect: ", "0x05", "connection refused");
            assertThat(ferry.stdout()).isEmpty();
        }
    }

    @Test
    void aProxyThatIsNotListeningExitsOne() throws Exception {
        int closed = Loopback.closedPort(Loopback.IPV4).getPort();
        try (FerryProcess ferry = FerryProcess.jarCommand("connect", "--proxy", "socks5h://127.0.0.1:" + closed,
                "127.0.0.1", Integer.toString(echo.port())).start()) {
            assertThat(ferry.awaitExit()).isEqualTo(1);
            assertThat(ferry.stderr()).contains("cannot connect to the proxy at 127.0.0.1:" + closed
                    + ": Connection refused");
        }
    }

    @Test
    void usageErrorsExitTwo() throws Exception {
        List<List<String>> cases = List.of(
                List.of("connect", "--proxy", "http://127.0.0.1:3128", "example.com", "22"),
                List.of("connect", "example.com", "22"),
                List.of("connect", "--proxy", proxyUri(), "example.com"),
                List.of("connect", "--proxy", proxyUri(), "example.com", "0"),
                List.of("connect", "--proxy", "socks4://127.0.0.1:1080", "::1", "22"));
        List<String> reasons = List.of("Invalid value for option '--proxy'", "Missing required option: '--proxy=URI'",
                "Missing required parameter: 'PORT'", "out of range (expected: 1-65535)",
                "cannot carry the IPv6 address");
        for (int i = 0; i < cases.size(); i++) {
            try (FerryProcess ferry = FerryProcess.jarCommand(cases.get(i).toArray(new String[0])).start()) {
                assertThat(ferry.awaitExit()).as("%s", cases.get(i)).isEqualTo(2);
                assertThat(ferry.stderr()).as("%s", cases.get(i)).contains(reasons.get(i));
            }
        }
    }

    @Test
    void helpShowsTheProxyCommandUse() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar("connect", "--help")) {
            assertThat(ferry.awaitExit()).isZero();
            assertThat(ferry.stdout()).contains("Usage: ferry connect", "--proxy=URI", "HOST", "PORT", "ProxyCommand");
        }
    }

    private static byte[] readExactly(DataInputStream in, int length) throws IOException {
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }

    /** One line, up to and without its CR LF. */
    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b; (b = in.read()) != -1 && b != '\n'; ) {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }
}
