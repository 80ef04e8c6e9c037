package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.auth.PasswordHashing;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration file, --check-config, --user, FERRY_USERS and the open-proxy safeguard, run as operators run them. */
class ConfigurationIT {
    static final String LOOPBACK_DNS = "127.0.0.1:9";
    static final String LISTENING = "listening on (127\\.0\\.0\\.1:\\d+) \\(SOCKS4, SOCKS4a, SOCKS5; transport (epoll|nio)\\)";

    private static LoopbackTargets targets;

    @TempDir
    Path dir;

    @BeforeAll
    static void startTargets() throws IOException {
        targets = new LoopbackTargets();
    }

    @AfterAll
    static void stopTargets() throws IOException {
        targets.close();
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    static Path example() {
        return Path.of(System.getProperty("ferry.example", "../ferry.example.yaml")).toAbsolutePath().normalize();
    }

    @Test
    void exampleFilePassesCheckConfig() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar("--check-config", "--config", example().toString())) {
            assertThat(ferry.awaitExit()).as("stderr: %s", ferry.stderr()).isZero();
            assertThat(ferry.stdout()).startsWith(example() + ": OK\negress guard: clients off loopback may not reach 127.0.0.0/8 ");
        }
    }

    @Test
    void launcherChecksTheExampleToo() throws Exception {
        try (FerryProcess ferry = FerryProcess.startLauncher("--check-config", "--config", example().toString())) {
            assertThat(ferry.awaitExit()).as("stderr: %s", ferry.stderr()).isZero();
            assertThat(ferry.stdout()).contains(example() + ": OK\negress guard: ");
        }
    }

    @Test
    void checkConfigNamesFileLineKeyAndProblemAndExitsNonZero() throws Exception {
        Path config = write("ferry.yaml", "listen: [\"127.0.0.1:0\"]\ntimeouts:\n  handshak: 10s\n");
        try (FerryProcess ferry = FerryProcess.startJar("--check-config", "--config", config.toString())) {
            assertThat(ferry.awaitExit()).isEqualTo(2);
            assertThat(ferry.stderr()).isEqualTo("ferry: " + config
                    + ":3:3: timeouts.handshak: unknown key (expected one of: handshake, connect)");
            assertThat(ferry.stdout()).doesNotContain("OK");
        }
    }

    @Test
    void checkConfigFailsOnAnUnreadableUsersFile() throws Exception {
        Path config = write("ferry.yaml", "auth:\n  usersFile: /nonexistent/ferry-users\n");
        try (FerryProcess ferry = FerryProcess.startJar("--check-config", "--config", config.toString())) {
            assertThat(ferry.awaitExit()).isEqualTo(2);
            assertThat(ferry.stderr()).contains(config + ":2:14: auth.usersFile: /nonexistent/ferry-users: cannot read: no such file");
        }
    }

    /** Issue 13, finding 7: --check-config says which safe egress defaults hold and which rules open some. */
    @Test
    void checkConfigNamesTheEgressGuardAndTheRulesThatOpenIt() throws Exception {
        Path config = Files.writeString(dir.resolve("ferry.yaml"), "rules:\n"
                + "  - { action: allow, clients: [\"10.0.0.0/8\"], destinations: [\"169.254.169.254/32\"] }\n"
                + "  - { action: allow, clients: [\"10.0.0.0/8\"] }\n", StandardCharsets.UTF_8);
        try (FerryProcess ferry = FerryProcess.startJar("--check-config", "--config", config.toString())) {
            assertThat(ferry.awaitExit()).isZero();
            assertThat(ferry.stdout()).contains("egress guard: clients off loopback may not reach 127.0.0.0/8 0.0.0.0/8",
                    "169.254.0.0/16", "fd00:ec2::254/128", "100.100.100.200/32", "168.63.129.16/32", "224.0.0.0/4",
                    "ff00::/8", "; opened by a rule that names the network: rules[0] allows 169.254.169.254/32");
        }
    }

    @Test
    void checkConfigWithoutAFileChecksTheOptions() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar("--check-config", "--listen", "127.0.0.1:0", "--user", "a:b")) {
            assertThat(ferry.awaitExit()).as("stderr: %s", ferry.stderr()).isZero();
            assertThat(ferry.stdout()).startsWith("command line: OK\negress guard: ");
        }
    }

    @Test
    void invalidConfigurationRefusesToStart() throws Exception {
        Path config = write("ferry.yaml", "rules:\n  - action: allow\n    clients: [\"10.0.0.0/33\"]\n");
        try (FerryProcess ferry = FerryProcess.startJar("--config", config.toString(), "--listen", "127.0.0.1:0",
                "--dns-server", LOOPBACK_DNS)) {
            assertThat(ferry.awaitExit()).isEqualTo(2);
            assertThat(ferry.stderr()).contains(config + ":3:15: rules[0].clients[0]: '10.0.0.0/33': prefix length 33"
                    + " is out of range (expected: 0-32)");
            assertThat(ferry.stdout()).doesNotContain("listening on");
        }
    }

    @Test
    void fileUsersAndCommandLineUsersLogInAndOptionsOverrideTheFile() throws Exception {
        write("users", "alice:" + PasswordHashing.hash("alice-pw".getBytes(StandardCharsets.UTF_8)) + "\n");
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // the file's listener is taken: the server can only start because --listen replaces it
            Path config = write("ferry.yaml", "listen: [\"127.0.0.1:" + busy.getLocalPort() + "\"]\n"
                    + "auth:\n  usersFile: users\n");
            try (FerryProcess ferry = FerryProcess.startJar("--config", config.toString(), "--listen", "127.0.0.1:0",
                    "--user", "carol:carol:pw", "--dns-server", LOOPBACK_DNS)) {
                String proxy = ferry.awaitStdout(LISTENING).group(1);
                ferry.awaitStdout("2 user\\(s\\), passwords required; default rules; configuration from ");
                assertThat(Curl.socks5(proxy, "alice:alice-pw", targets.httpUrl()).output()).isEqualTo(LoopbackTargets.BODY);
                assertThat(Curl.socks5(proxy, "carol:carol:pw", targets.httpUrl()).output()).isEqualTo(LoopbackTargets.BODY);
                assertThat(Curl.socks5(proxy, null, targets.httpUrl()).exitCode()).as("no password").isNotZero();
                assertThat(Curl.socks5(proxy, "alice:wrong", targets.httpUrl()).exitCode()).as("wrong password").isNotZero();
                ferry.terminate();
                assertThat(ferry.awaitExit()).isZero();
            }
        }
    }

    @Test
    void environmentUsersLogIn() throws Exception {
        try (FerryProcess ferry = FerryProcess.jarCommand("--listen", "127.0.0.1:0", "--dns-server", LOOPBACK_DNS)
                .env("FERRY_USERS", "erin:erin-pw,\nfrank:frank-pw").start()) {
            String proxy = ferry.awaitStdout(LISTENING).group(1);
            assertThat(Curl.socks5(proxy, "frank:frank-pw", targets.httpUrl()).output()).isEqualTo(LoopbackTargets.BODY);
            assertThat(Curl.socks5(proxy, "erin:erin-pw", targets.httpUrl()).output()).isEqualTo(LoopbackTargets.BODY);
            assertThat(Curl.socks5(proxy, null, targets.httpUrl()).exitCode()).as("no password").isNotZero();
            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
        }
    }

    @Test
    void malformedEnvironmentUsersRefuseToStartWithoutShowingThePassword() throws Exception {
        try (FerryProcess ferry = FerryProcess.jarCommand("--listen", "127.0.0.1:0")
                .env("FERRY_USERS", "erin:erin-pw,frank-secret").start()) {
            assertThat(ferry.awaitExit()).isEqualTo(2);
            assertThat(ferry.stderr()).isEqualTo("ferry: FERRY_USERS: entry 2: expected NAME:PASSWORD");
        }
    }

    @Test
    void openProxyRefusesToStartAndSaysHowToAllowIt() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar("--listen", "0.0.0.0:0", "--dns-server", LOOPBACK_DNS)) {
            assertThat(ferry.awaitExit()).isEqualTo(2);
            assertThat(ferry.stderr()).contains("refusing to run an open proxy", "0.0.0.0:0", "--user NAME:PASSWORD",
                    "clients:", "--allow-open-proxy", "allowOpenProxy: true");
            assertThat(ferry.stdout()).doesNotContain("listening on");
        }
    }

    @Test
    void permissionPasswordsOrAClientRuleLiftTheOpenProxyRefusal() throws Exception {
        Path clientRule = write("clients.yaml", "rules:\n  - action: allow\n    clients: [\"192.168.0.0/16\"]\n");
        Path allowed = write("allowed.yaml", "allowOpenProxy: true\n");
        String[][] commands = {
            {"--listen", "0.0.0.0:0", "--allow-open-proxy"},
            {"--listen", "0.0.0.0:0", "--user", "alice:alice-pw"},
            {"--listen", "0.0.0.0:0", "--config", clientRule.toString()},
            {"--listen", "0.0.0.0:0", "--config", allowed.toString()},
        };
        for (String[] command : commands) {
            String[] args = new String[command.length + 1];
            args[0] = "--check-config";
            System.arraycopy(command, 0, args, 1, command.length);
            try (FerryProcess ferry = FerryProcess.startJar(args)) {
                assertThat(ferry.awaitExit()).as("%s; stderr: %s", String.join(" ", command), ferry.stderr()).isZero();
            }
        }
    }
}
