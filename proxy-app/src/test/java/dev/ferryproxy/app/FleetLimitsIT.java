package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.auth.PasswordHashing;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RedisServer;
import dev.ferryproxy.testing.SocksRequests;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Issue 14 with the jar: two Ferry processes share alice's limit of 3 tunnels through a real
 * redis-server. A process killed with SIGKILL gives nothing back; its leases expire within the
 * configured TTL and the other process can then use the slots. A reload (SIGHUP) changes the limit.
 */
class FleetLimitsIT {
    private static final Duration LEASE_TTL = Duration.ofSeconds(2);
    private static LoopbackTargets targets;
    private static String aliceLine;

    @TempDir
    Path dir;
    private RedisServer redis;
    private final List<RawSocksClient> held = new ArrayList<>();

    @BeforeAll
    static void setUp() throws IOException {
        targets = new LoopbackTargets();
        aliceLine = "alice:" + PasswordHashing.hash("alice-pw".getBytes(StandardCharsets.UTF_8));
    }

    @AfterAll
    static void tearDown() throws IOException {
        targets.close();
    }

    @AfterEach
    void stop() throws IOException {
        for (RawSocksClient client : held) {
            client.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private Path config(int aliceTunnels) throws IOException {
        Files.writeString(dir.resolve("users"), aliceLine + "\n", StandardCharsets.UTF_8);
        return Files.writeString(dir.resolve("ferry.yaml"), "auth:\n  usersFile: users\n"
                + "limits:\n  users:\n    alice: { tunnels: " + aliceTunnels + " }\n"
                + "cluster:\n  redis: " + redis.uri() + "\n  leaseTtl: " + LEASE_TTL.toSeconds() + "s\n",
                StandardCharsets.UTF_8);
    }

    private static FerryProcess start(Path config) throws IOException {
        return FerryProcess.startJar("--config", config.toString(), "--listen", "127.0.0.1:0",
                "--dns-server", ConfigurationIT.LOOPBACK_DNS);
    }

    private static int port(FerryProcess ferry) throws Exception {
        String proxy = ferry.awaitStdout(ConfigurationIT.LISTENING).group(1);
        ferry.awaitStdout("limits store redis://.* connected");
        return Integer.parseInt(proxy.substring(proxy.lastIndexOf(':') + 1));
    }

    /** A CONNECT as alice to the echo target through the proxy on {@code port}; returns the reply code. */
    private int connect(int port) throws IOException {
        RawSocksClient client = RawSocksClient.connect(new InetSocketAddress("127.0.0.1", port));
        held.add(client);
        client.send(SocksRequests.socks5GreetingOffering(0x02));
        assertThat(RawSocksClient.hex(client.read(2))).isEqualTo("05 02");
        client.send(SocksRequests.rfc1929Login("alice", "alice-pw"));
        assertThat(RawSocksClient.hex(client.read(2))).as("login").isEqualTo("01 00");
        client.send(SocksRequests.socks5Connect(new InetSocketAddress("127.0.0.1", targets.echoPort())));
        return client.readSocks5Reply().rep();
    }

    @Test
    void aKilledServersSlotsFreeWithinTheLeaseTtl() throws Exception {
        redis = RedisServer.start(null);
        Path config = config(3);
        try (FerryProcess first = start(config); FerryProcess second = start(config)) {
            int firstPort = port(first);
            int secondPort = port(second);
            for (int i = 0; i < 3; i++) {
                assertThat(connect(firstPort)).as("tunnel %d on the first server", i).isZero();
            }
            assertThat(connect(secondPort)).as("a fourth on the second server").isEqualTo(0x02);
            first.kill();
            long killed = System.nanoTime();
            assertThat(connect(secondPort)).as("at once after the kill: the leases still live").isEqualTo(0x02);
            Awaitility.await().atMost(LEASE_TTL.plusSeconds(2)).pollInterval(Duration.ofMillis(100))
                    .until(() -> connect(secondPort) == 0);
            Duration freedAfter = Duration.ofNanos(System.nanoTime() - killed);
            assertThat(freedAfter).as("freed within the TTL (and the poll)").isLessThan(LEASE_TTL.plusMillis(500));
            assertThat(second.stdout()).contains("tunnel refused: user 'alice' reached its tunnels limit");
        }
    }

    @Test
    void aReloadChangesTheLimitAndCheckConfigNamesIt() throws Exception {
        redis = RedisServer.start(null);
        Path config = config(1);
        try (FerryProcess check = FerryProcess.startJar("--check-config", "--config", config.toString())) {
            assertThat(check.awaitExit()).isZero();
            assertThat(check.stdout()).contains("limits: user 'alice': 1 tunnels")
                    .contains("limits shared: through redis " + redis.uri());
        }
        try (FerryProcess ferry = start(config)) {
            int port = port(ferry);
            assertThat(connect(port)).isZero();
            assertThat(connect(port)).as("over the limit of 1").isEqualTo(0x02);
            config(2);
            int from = ferry.stdoutLineCount();
            ferry.hangUp();
            ferry.awaitStdout("configuration reloaded from " + Pattern.quote(config.toString()), from);
            assertThat(connect(port)).as("under the reloaded limit of 2").isZero();
            assertThat(connect(port)).as("over it").isEqualTo(0x02);
        }
    }
}
