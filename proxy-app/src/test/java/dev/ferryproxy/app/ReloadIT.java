package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.auth.PasswordHashing;
import java.io.IOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGHUP reloads users and rules from the configuration file while tunnels keep flowing. */
class ReloadIT {
    private static LoopbackTargets targets;
    private static String aliceLine;
    private static String bobLine;

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() throws IOException {
        targets = new LoopbackTargets();
        aliceLine = "alice:" + PasswordHashing.hash("alice-pw".getBytes(StandardCharsets.UTF_8));
        bobLine = "bob:" + PasswordHashing.hash("bob-pw".getBytes(StandardCharsets.UTF_8));
    }

    @AfterAll
    static void tearDown() throws IOException {
        targets.close();
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    private static FerryProcess start(Path config) throws IOException {
        return FerryProcess.startJar("--config", config.toString(), "--listen", "127.0.0.1:0",
                "--dns-server", ConfigurationIT.LOOPBACK_DNS);
    }

    private static int port(String proxy) {
        return Integer.parseInt(proxy.substring(proxy.lastIndexOf(':') + 1));
    }

    /** Sends SIGHUP and waits for the log line that says how the reload went. */
    private static String reload(FerryProcess ferry, String expectedLine) throws Exception {
        int from = ferry.stdoutLineCount();
        ferry.hangUp();
        return ferry.awaitStdout(expectedLine, from).group();
    }

    @Test
    void reloadSwapsUsersAndRulesWhileTunnelsKeepFlowing() throws Exception {
        write("users", aliceLine + "\n");
        Path config = write("ferry.yaml", "auth:\n  usersFile: users\n");
        try (FerryProcess ferry = start(config)) {
            String proxy = ferry.awaitStdout(ConfigurationIT.LISTENING).group(1);
            assertThat(Curl.socks5(proxy, "alice:alice-pw", targets.httpUrl()).output()).isEqualTo(LoopbackTargets.BODY);
            assertThat(Curl.socks5(proxy, "bob:bob-pw", targets.httpUrl()).exitCode()).as("bob before").isNotZero();

            try (Socks5Tunnel tunnel = Socks5Tunnel.open(port(proxy), "alice", "alice-pw", targets.echoPort())) {
                assertThat(tunnel.roundTrip("before the reload")).isEqualTo("before the reload");

                // bob is added; alice may no longer reach the HTTP target; the connect timeout needs a restart
                write("users", aliceLine + "\n" + bobLine + "\n");
                write("ferry.yaml", "timeouts: { connect: 3s }\nauth:\n  usersFile: users\nrules:\n"
                        + "  - name: no-http-for-alice\n    action: deny\n    users: [alice]\n"
                        + "    ports: [" + targets.httpPort() + "]\n"
                        + "  - action: allow\n");
                reload(ferry, "configuration reloaded from " + Pattern.quote(config.toString()) + ": 2 users, 2 rules");
                ferry.awaitStdout("configuration reload from .*: timeouts.connect changed, which takes effect only after a restart");

                assertThat(Curl.socks5(proxy, "bob:bob-pw", targets.httpUrl()).output()).isEqualTo(LoopbackTargets.BODY);
                assertThat(Curl.socks5(proxy, "alice:alice-pw", targets.httpUrl()).exitCode()).as("alice denied by rule")
                        .isNotZero();
                assertThat(tunnel.roundTrip("after the reload")).isEqualTo("after the reload");

                // an invalid file changes nothing
                write("ferry.yaml", "auth:\n  usersFile: users\nrules:\n  - action: maybe\n");
                String rejected = reload(ferry, "configuration reload from .* rejected, keeping the old one: .*");
                assertThat(rejected).contains(config + ":4:13: rules[0].action: 'maybe' is not an action");
                assertThat(Curl.socks5(proxy, "bob:bob-pw", targets.httpUrl()).output()).isEqualTo(LoopbackTargets.BODY);
                assertThat(Curl.socks5(proxy, "alice:alice-pw", targets.httpUrl()).exitCode()).isNotZero();
                assertThat(tunnel.roundTrip("after the rejected reload")).isEqualTo("after the rejected reload");

                // so does a users file that breaks
                write("ferry.yaml", "auth:\n  usersFile: users\n");
                write("users", aliceLine + "\nbob\n");
                assertThat(reload(ferry, "configuration reload from .* rejected, keeping the old one: .*"))
                        .contains("auth.usersFile: " + dir.resolve("users") + ":2: expected name:bcrypt-hash");
                assertThat(Curl.socks5(proxy, "bob:bob-pw", targets.httpUrl()).output()).isEqualTo(LoopbackTargets.BODY);
                assertThat(tunnel.roundTrip("still flowing")).isEqualTo("still flowing");
            }
            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
        }
    }

    @Test
    void reloadCanCloseTheConnectionsOfRemovedUsers() throws Exception {
        write("users", aliceLine + "\n" + bobLine + "\n");
        String settings = "auth:\n  usersFile: users\n  closeConnectionsOfRemovedUsers: true\n";
        Path config = write("ferry.yaml", settings);
        try (FerryProcess ferry = start(config)) {
            String proxy = ferry.awaitStdout(ConfigurationIT.LISTENING).group(1);
            try (Socks5Tunnel alice = Socks5Tunnel.open(port(proxy), "alice", "alice-pw", targets.echoPort());
                    Socks5Tunnel bob = Socks5Tunnel.open(port(proxy), "bob", "bob-pw", targets.echoPort())) {
                assertThat(alice.roundTrip("alice")).isEqualTo("alice");
                assertThat(bob.roundTrip("bob")).isEqualTo("bob");

                write("users", bobLine + "\n");
                reload(ferry, "configuration reloaded from " + Pattern.quote(config.toString()) + ": 1 users, 0 rules");
                ferry.awaitStdout("closed 1 connection\\(s\\) of users no longer configured");
                assertThat(readUntilClosed(alice)).as("alice's tunnel is closed").isEqualTo(-1);
                assertThat(bob.roundTrip("bob again")).isEqualTo("bob again");
            }
            assertThat(Curl.socks5(proxy, "alice:alice-pw", targets.httpUrl()).exitCode()).isNotZero();
            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
        }
    }

    /** -1 once the proxy has closed the tunnel (a reset counts as closed too). */
    private static int readUntilClosed(Socks5Tunnel tunnel) throws IOException {
        try {
            return tunnel.read();
        } catch (SocketException e) {
            return -1;
        }
    }
}
