package dev.ferryproxy.app;

import static dev.ferryproxy.app.ConfigurationIT.LISTENING;
import static dev.ferryproxy.app.ConfigurationIT.LOOPBACK_DNS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.SocksRequests;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Issue 13, finding 2, against the real jar with its defaults (server log and JSON access log
 * both on standard output): a SOCKS4 USERID carrying a line break, a forged server line and a
 * forged access-log record stays inside the one line that logs it, escaped; every line on
 * standard output is either a server line or a JSON record, and neither forged line is a line.
 */
class LogForgingIT {
    private static final String FORGED_SERVER_LINE = "2026-12-07T09:00:00.000Z INFO  FerryCommand - Ferry stopping on SIGTERM";
    private static final String FORGED_ACCESS_RECORD = "{\"time\":\"2026-12-07T09:00:00Z\",\"user\":\"admin\"}";
    private static final Pattern SERVER_LINE = Pattern.compile(
            "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (TRACE|DEBUG|INFO |WARN |ERROR) \\w+ - .*");

    @Test
    void aUseridCannotForgeAServerLineOrAnAccessLogRecord() throws Exception {
        String userId = "mallory')\n" + FORGED_SERVER_LINE + "\r\n" + FORGED_ACCESS_RECORD;
        List<String> stdout;
        try (FerryProcess ferry = FerryProcess.startJar("--listen", "127.0.0.1:0", "--dns-server", LOOPBACK_DNS)) {
            InetSocketAddress proxy = HostPort.parse(ferry.awaitStdout(LISTENING).group(1));
            try (RawSocksClient client = RawSocksClient.connect(proxy)) {
                // BIND is off by default: its refusal is an INFO line that names the request's user
                client.send(SocksRequests.socks4Request(0x02, new InetSocketAddress("127.0.0.1", 9), userId));
                assertThat(client.readSocks4Reply().status()).isEqualTo(91);
            }
            ferry.awaitStdout("is switched off on this server");
            ferry.awaitStdout("^\\{.*\"user\":\"mallory");
            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
            stdout = ferry.stdout().lines().toList();
        }
        assertThat(stdout).filteredOn(line -> line.contains("is switched off on this server")).singleElement()
                .asString().contains("(user 'mallory\\x27)\\x0a" + FORGED_SERVER_LINE + "\\x0d\\x0a{");
        assertThat(stdout).doesNotContain(FORGED_SERVER_LINE, FORGED_ACCESS_RECORD);
        for (String line : stdout) {
            assertThat(SERVER_LINE.matcher(line).matches() || line.startsWith("{\"") && line.endsWith("}"))
                    .as("a server line or a JSON record: %s", line).isTrue();
        }
    }
}
