package dev.ferryproxy.e2e;

import static dev.ferryproxy.e2e.UdpAssociations.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.client.ProxyUri;
import dev.ferryproxy.client.SocksClient;
import dev.ferryproxy.client.SocksProtocol;
import dev.ferryproxy.client.SocksTarget;
import dev.ferryproxy.client.SocksUdpAssociation;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import dev.ferryproxy.testing.UdpEchoServer;
import dev.ferryproxy.udp.UdpAssociation;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.Future;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.File;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Real clients through Ferry's UDP relay: our client library ({@link SocksClient#udpAssociate()},
 * resolving names itself or at the proxy), and PySocks, an independent implementation, run as a
 * child process ({@code /usr/bin/python3} with Debian's python3-socks; CI installs it). Every
 * datagram's echo is checked for content and source.
 */
@Timeout(60)
class UdpAssociateClientsEndToEndTest {
    private static final String ECHO_NAME = "echo.clients.test";
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path PYSOCKS_SCRIPT = Path.of("src/test/python/pysocks_udp_echo.py");
    private static final Duration PROCESS_TIMEOUT = Duration.ofSeconds(30);

    private static DnsStub dns;
    private static UdpEchoServer echo;
    private static UdpEchoServer echo6;
    private static RunningProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        echo = UdpEchoServer.start(Loopback.IPV4);
        if (Loopback.canBind(Loopback.IPV6)) {
            echo6 = UdpEchoServer.start(Loopback.IPV6);
        }
        dns = DnsStub.start(Map.of(ECHO_NAME, List.of(Loopback.IPV4)));
        proxy = RunningProxy.start(dns.address());
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(proxy, dns, echo6, echo);
    }

    // ---- our client library ----

    @ParameterizedTest
    @EnumSource(value = SocksProtocol.class, names = {"SOCKS5", "SOCKS5H"})
    void theClientLibraryRelaysToAddressesAndNames(SocksProtocol protocol) throws Exception {
        try (SocksClient client = SocksClient.builder()
                .proxy(ProxyUri.of(protocol, "127.0.0.1", proxy.address().getPort()))
                .dnsServers(List.of(dns.address()))
                .build()) {
            SocksUdpAssociation association = await(client.udpAssociate());
            UdpAssociation serverSide;
            try {
                assertThat(association.relayAddress().getAddress()).isEqualTo(Loopback.IPV4);
                serverSide = UdpAssociations.serverSide(proxy, association.relayAddress().getPort());
                BlockingQueue<Object[]> received = new LinkedBlockingQueue<>();
                association.setReceiver((source, data) -> {
                    try {
                        received.add(new Object[] {source, ByteBufUtil.getBytes(data)});
                    } finally {
                        data.release();
                    }
                });
                List<SocksTarget> targets = new ArrayList<>(List.of(SocksTarget.of(echo.address()),
                        SocksTarget.of(ECHO_NAME, echo.address().getPort())));
                if (echo6 != null) {
                    targets.add(SocksTarget.of(echo6.address()));
                }
                for (SocksTarget target : targets) {
                    InetSocketAddress expectedSource = target.isIpLiteral()
                            ? new InetSocketAddress(target.ipAddress(), target.port()) : echo.address();
                    for (int i = 0; i < 20; i++) {
                        byte[] payload = SeededBytes.generate(i, 50 + i * 71);
                        roundTrip(association, target, payload, expectedSource, received);
                    }
                }
            } finally {
                association.close();
            }
            assertThat(association.closeFuture().await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            UdpAssociations.awaitEnded(proxy, serverSide);
            assertThat(serverSide.stats().dropped()).as("drops: %s", serverSide.stats()).isZero();
        }
    }

    /** Sends one datagram and waits for its echo, sending again if it was lost. */
    private static void roundTrip(SocksUdpAssociation association, SocksTarget target, byte[] payload,
            InetSocketAddress expectedSource, BlockingQueue<Object[]> received) throws Exception {
        for (int attempt = 0; attempt < 5; attempt++) {
            await(association.send(target, Unpooled.copiedBuffer(payload)));
            for (Object[] answer; (answer = received.poll(1, TimeUnit.SECONDS)) != null; ) {
                if (Arrays.equals((byte[]) answer[1], payload)) {
                    assertThat(answer[0]).as("source of the echo from %s", target).isEqualTo(expectedSource);
                    return;
                }
            }
        }
        throw new AssertionError("no echo of a " + payload.length + "-byte datagram to " + target);
    }

    private static <T> T await(Future<T> future) throws Exception {
        assertThat(future.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).as("done within %s", TIMEOUT).isTrue();
        if (!future.isSuccess()) {
            throw new AssertionError("failed: " + future.cause(), future.cause());
        }
        return future.getNow();
    }

    // ---- PySocks ----

    @Test
    void pySocksRelaysToAnAddress() throws Exception {
        assertPySocksEchoes(echo.address().getHostString(), echo.address().getPort(), 100);
    }

    @Test
    void pySocksRelaysToANameResolvedByTheProxy() throws Exception {
        assertPySocksEchoes(ECHO_NAME, echo.address().getPort(), 20);
        assertThat(dns.wasAskedAbout(ECHO_NAME)).isTrue();
    }

    private static void assertPySocksEchoes(String targetHost, int targetPort, int count) throws Exception {
        requirePySocks();
        long opened = proxy.server().udp().associationsOpened();
        long sent = proxy.server().udp().totals().datagramsToTargets();
        Run run = run(List.of(PYTHON.toString(), PYSOCKS_SCRIPT.toString(), "127.0.0.1",
                Integer.toString(proxy.address().getPort()), targetHost, Integer.toString(targetPort),
                Integer.toString(count)));
        assertThat(run.exitCode()).as("PySocks: %s", run).isZero();
        assertThat(run.output()).as("PySocks: %s", run).contains("OK " + count);
        assertThat(proxy.server().udp().associationsOpened()).isEqualTo(opened + 1);
        assertThat(proxy.server().udp().totals().datagramsToTargets() - sent).isGreaterThanOrEqualTo(count);
        // PySocks closed its control connection on exit: the association ends with it.
        Awaitility.await("PySocks' association to end").atMost(TIMEOUT).pollInterval(Duration.ofMillis(5))
                .until(() -> proxy.server().udp().associations().isEmpty());
    }

    /** Fails, saying what to install, unless /usr/bin/python3 can import PySocks. */
    private static void requirePySocks() throws Exception {
        if (!Files.isExecutable(PYTHON)) {
            throw new AssertionError(PYTHON + " not found: install python3 and python3-socks (the CI image does)");
        }
        if (!Files.isRegularFile(PYSOCKS_SCRIPT)) {
            throw new AssertionError(PYSOCKS_SCRIPT.toAbsolutePath()
                    + " not found (tests run from the proxy-core directory)");
        }
        Run probe = run(List.of(PYTHON.toString(), "-c", "import socks"));
        if (probe.exitCode() != 0) {
            throw new AssertionError("PySocks is missing for " + PYTHON + ": install the Debian package python3-socks"
                    + " (apt-get install python3-socks; the CI image does). " + probe);
        }
    }

    /** Runs {@code command} with no proxy variables and no input, within {@link #PROCESS_TIMEOUT}. */
    private static Run run(List<String> command) throws Exception {
        Path output = Files.createTempFile("ferry-pysocks", ".out");
        Process process = null;
        try {
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile());
            builder.environment().keySet().removeIf(name -> name.toLowerCase(Locale.ROOT).endsWith("_proxy"));
            builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
            process = builder.start();
            if (!process.waitFor(PROCESS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("did not finish within " + PROCESS_TIMEOUT + ": " + command + "; output: "
                        + Files.readString(output, StandardCharsets.UTF_8));
            }
            return new Run(command, process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            if (process != null && process.isAlive()) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(output);
        }
    }

    /** What a child process did. */
    private record Run(List<String> command, int exitCode, String output) {
        @Override
        public String toString() {
            return String.join(" ", command) + " -> exit " + exitCode + ", output: " + output.strip();
        }
    }
}
