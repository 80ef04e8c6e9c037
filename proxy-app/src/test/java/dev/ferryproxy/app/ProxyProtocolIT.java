package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.SocksRequests;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PROXY protocol from the real jar: configured in the file per listener and with
 * {@code --proxy-protocol}; the rules see the header's address, a connection without a header
 * is refused with one log line, and a bad setting refuses to start.
 */
class ProxyProtocolIT {
    private static final String LOOPBACK_DNS = "127.0.0.1:9";
    private static final String LISTENING = "listening on (.+) \\(SOCKS4, SOCKS4a, SOCKS5; transport (epoll|nio)\\)";

    private static EchoServer echo;

    @TempDir
    Path dir;

    @BeforeAll
    static void startTarget() throws IOException {
        echo = EchoServer.start(Loopback.IPV4);
    }

    @AfterAll
    static void stopTarget() throws IOException {
        echo.close();
    }

    private static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(hostPort.substring(0, colon)),
                Integer.parseInt(hostPort.substring(colon + 1)));
    }

    private static int connectWithV1Header(InetSocketAddress ferry, String source) throws IOException {
        try (RawSocksClient client = RawSocksClient.connect(ferry)) {
            client.send("PROXY TCP4 " + source + " 127.0.0.1 40000 1080\r\n");
            int rep = client.socks5Connect(SocksRequests.socks5Connect(echo.address())).rep();
            if (rep == 0) {
                client.send("ping");
                assertThat(client.readText(4)).isEqualTo("ping");
            }
            return rep;
        }
    }

    @Test
    void theFilesPerListenerSettingsApplyAndTheRulesSeeTheHeadersAddress() throws Exception {
        Path config = dir.resolve("ferry.yaml");
        Files.writeString(config, """
                listen: ["127.0.0.1:0", "127.0.0.2:0"]
                proxyProtocol:
                  - listen: "127.0.0.1:0"
                    mode: required
                    trustedSources: ["127.0.0.0/8"]
                rules:
                  - action: allow
                    clients: ["203.0.113.0/24", "127.0.0.0/8"]
                    destinations: ["127.0.0.0/8"]   # the targets: the egress guard opens only what a rule names
                  - action: deny
                """, StandardCharsets.UTF_8);
        try (FerryProcess ferry = FerryProcess.startJar("--config", config.toString(), "--dns-server", LOOPBACK_DNS)) {
            Matcher started = ferry.awaitStdout(LISTENING);
            String[] listeners = started.group(1).split(", ");
            InetSocketAddress required = address(listeners[0]);
            InetSocketAddress plain = address(listeners[1]);
            ferry.awaitStdout("PROXY protocol required on 127\\.0\\.0\\.1:0 from \\[127\\.0\\.0\\.0/8\\]");

            assertThat(connectWithV1Header(required, "203.0.113.9")).isZero();
            assertThat(connectWithV1Header(required, "198.51.100.1")).isEqualTo(0x02);
            try (RawSocksClient client = RawSocksClient.connect(required)) {
                client.send(SocksRequests.socks5Greeting());
                assertThat(client.readUntilEof()).isEmpty();
            }
            ferry.awaitStdout("PROXY protocol: closing connection from 127\\.0\\.0\\.1:\\d+ to " + listeners[0].replace(".", "\\.")
                    + " \\(required listener\\): it sent no PROXY protocol header");
            // The other listener has it off: plain SOCKS.
            try (RawSocksClient client = RawSocksClient.connect(plain)) {
                assertThat(client.socks5Connect(SocksRequests.socks5Connect(echo.address())).rep()).isZero();
            }
            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
        }
    }

    @Test
    void theCommandLineOptionAppliesToItsListeners() throws Exception {
        // Only the rules come from the file (the safe defaults would keep loopback targets out, and the
        // egress guard keeps them from the proxied client unless a rule names them).
        Path config = dir.resolve("ferry.yaml");
        Files.writeString(config, "rules:\n  - action: allow\n    destinations: [\"127.0.0.0/8\"]\n",
                StandardCharsets.UTF_8);
        try (FerryProcess ferry = FerryProcess.startJar("--config", config.toString(), "--listen", "127.0.0.1:0",
                "--dns-server", LOOPBACK_DNS,
                "--proxy-protocol", "optional", "--proxy-protocol-trusted", "127.0.0.1/32")) {
            InetSocketAddress listener = address(ferry.awaitStdout(LISTENING).group(1));
            assertThat(connectWithV1Header(listener, "203.0.113.9")).isZero();
            try (RawSocksClient client = RawSocksClient.connect(listener)) {
                assertThat(client.socks5Connect(SocksRequests.socks5Connect(echo.address())).rep()).isZero();
            }
            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
        }
    }

    @Test
    void requiredWithoutTrustedSourcesRefusesToStart() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar("--listen", "127.0.0.1:0", "--proxy-protocol", "required")) {
            assertThat(ferry.awaitExit()).isEqualTo(2);
            assertThat(ferry.stderr()).contains("--proxy-protocol: PROXY protocol required needs at least one trusted"
                    + " source network", "--proxy-protocol-trusted");
        }
        Path config = dir.resolve("ferry.yaml");
        Files.writeString(config, "listen: [\"127.0.0.1:0\"]\nproxyProtocol:\n  - listen: \"127.0.0.1:1\"\n    mode: off\n");
        try (FerryProcess ferry = FerryProcess.startJar("--config", config.toString())) {
            assertThat(ferry.awaitExit()).isEqualTo(2);
            assertThat(ferry.stderr()).contains(config + ":3:13: proxyProtocol[0].listen: '127.0.0.1:1' is not one of"
                    + " the addresses in listen");
        }
    }
}
