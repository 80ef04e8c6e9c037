package dev.ferryproxy.app;

import static dev.ferryproxy.app.ConfigurationIT.LISTENING;
import static dev.ferryproxy.app.ConfigurationIT.LOOPBACK_DNS;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Upstream chaining as operators configure it: a front Ferry whose configuration routes through a
 * parent Ferry that requires a password, both run from the real jar, driven by curl.
 */
class UpstreamIT {
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

    @Test
    void frontRoutesThroughItsParentAndAnswersGeneralFailureOnceTheParentIsGone() throws Exception {
        try (FerryProcess parent = FerryProcess.startJar("--listen", "127.0.0.1:0", "--user", "relay:relay-pw",
                "--dns-server", LOOPBACK_DNS)) {
            String parentAddress = parent.awaitStdout(LISTENING).group(1);
            Path config = Files.writeString(dir.resolve("ferry.yaml"), "upstreams:\n"
                    + "  - name: parent\n"
                    + "    proxies: [\"socks5://relay:relay-pw@" + parentAddress + "\"]\n"
                    + "rules:\n"
                    + "  - { action: allow, destinations: [\"127.0.0.0/8\"], ports: [" + targets.httpPort() + "],"
                    + " via: parent }\n"
                    + "  - { action: allow }\n", StandardCharsets.UTF_8);
            try (FerryProcess front = FerryProcess.startJar("--config", config.toString(), "--listen", "127.0.0.1:0",
                    "--dns-server", LOOPBACK_DNS)) {
                String frontAddress = front.awaitStdout(LISTENING).group(1);
                front.awaitStdout("2 rule\\(s\\); upstreams: \\[parent \\(socks5://relay:\\*\\*\\*@" + parentAddress);
                assertThat(Curl.socks5(frontAddress, null, targets.httpUrl()).output()).isEqualTo(LoopbackTargets.BODY);

                parent.terminate();
                assertThat(parent.awaitExit()).isZero();
                Curl.Result failed = Curl.socks5(frontAddress, null, targets.httpUrl());
                assertThat(failed.exitCode()).as("no parent, no route: %s", failed.output()).isNotZero();
                front.awaitStdout("WARN .*upstream parent .*cannot connect to socks5://relay:\\*\\*\\*@" + parentAddress);
                front.terminate();
                assertThat(front.awaitExit()).isZero();
            }
        }
    }
}
