package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.auth.BcryptCredential;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ferry passwd NAME}: a users-file line from a password piped in. */
class PasswdIT {
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

    private static String passwd(String name, String stdin) throws Exception {
        try (FerryProcess ferry = FerryProcess.jarCommand("passwd", name).stdin(stdin).start()) {
            assertThat(ferry.awaitExit()).as("stderr: %s", ferry.stderr()).isZero();
            return ferry.stdout();
        }
    }

    @Test
    void printsANameAndBcryptHashThatVerifies() throws Exception {
        String line = passwd("alice", "correct horse:battery\n");
        assertThat(line).matches("alice:\\$2y\\$10\\$[./A-Za-z0-9]{53}");
        BcryptCredential credential = BcryptCredential.parse(line.substring("alice:".length()));
        assertThat(credential.matches("correct horse:battery".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(credential.matches("correct horse:battery\n".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(passwd("alice", "correct horse:battery\n")).as("a fresh salt each time").isNotEqualTo(line);
    }

    @Test
    void refusesAnEmptyPassword() throws Exception {
        for (String stdin : new String[] {"", "\n"}) {
            try (FerryProcess ferry = FerryProcess.jarCommand("passwd", "alice").stdin(stdin).start()) {
                assertThat(ferry.awaitExit()).isEqualTo(1);
                assertThat(ferry.stderr()).contains("the password is empty");
                assertThat(ferry.stdout()).isEmpty();
            }
        }
    }

    @Test
    void refusesANameAUsersFileCannotHold() throws Exception {
        try (FerryProcess ferry = FerryProcess.jarCommand("passwd", "al:ice").stdin("pw\n").start()) {
            assertThat(ferry.awaitExit()).isEqualTo(2);
            assertThat(ferry.stderr()).contains("a user name cannot contain ':'");
            assertThat(ferry.stdout()).isEmpty();
        }
    }

    @Test
    void printedLineLogsInFromAUsersFile() throws Exception {
        Files.writeString(dir.resolve("users"), passwd("dora", "dora-pw\n") + "\n");
        Path config = Files.writeString(dir.resolve("ferry.yaml"), "auth:\n  usersFile: users\n");
        try (FerryProcess ferry = FerryProcess.startJar("--config", config.toString(), "--listen", "127.0.0.1:0",
                "--dns-server", ConfigurationIT.LOOPBACK_DNS)) {
            String proxy = ferry.awaitStdout(ConfigurationIT.LISTENING).group(1);
            assertThat(Curl.socks5(proxy, "dora:dora-pw", targets.httpUrl()).output()).isEqualTo(LoopbackTargets.BODY);
            assertThat(Curl.socks5(proxy, "dora:dora", targets.httpUrl()).exitCode()).isNotZero();
            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
        }
    }
}
