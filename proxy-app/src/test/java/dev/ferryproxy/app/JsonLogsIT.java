package dev.ferryproxy.app;

import static dev.ferryproxy.app.ConfigurationIT.LISTENING;
import static dev.ferryproxy.app.ConfigurationIT.LOOPBACK_DNS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.SocksRequests;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, section 5: the real jar with JSON server logs (--log-format json, or logFormat: json in
 * the file) writes nothing but JSON object lines on standard output, where the access log's JSON
 * records go too; a SOCKS4 USERID that tries to forge a server line and an access-log record (as
 * in {@link LogForgingIT}) stays inside the one record that logs it, still escaped by LogText.
 */
class JsonLogsIT {
    private static final String FORGED_SERVER_LINE =
            "{\"timestamp\":1796634000000,\"level\":\"INFO\",\"loggerName\":\"dev.ferryproxy.app.FerryCommand\","
                    + "\"formattedMessage\":\"Ferry stopping on SIGTERM\"}";
    private static final String FORGED_ACCESS_RECORD = "{\"time\":\"2026-12-07T09:00:00Z\",\"user\":\"admin\"}";

    @TempDir
    Path dir;

    @Test
    void theOptionMakesEveryStdoutLineAJsonRecordThatNoUseridCanForge() throws Exception {
        checkJsonLogs(FerryProcess.startJar("--listen", "127.0.0.1:0", "--dns-server", LOOPBACK_DNS,
                "--log-format", "json"));
    }

    @Test
    void theFileKeyDoesTheSame() throws Exception {
        Path config = dir.resolve("ferry.yaml");
        Files.writeString(config, "logFormat: json\nlisten: [\"127.0.0.1:0\"]\ndns:\n  servers: [\"" + LOOPBACK_DNS
                + "\"]\n", StandardCharsets.UTF_8);
        checkJsonLogs(FerryProcess.startJar("--config", config.toString()));
    }

    @Test
    void textStaysTheDefault() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar("--listen", "127.0.0.1:0", "--dns-server", LOOPBACK_DNS)) {
            String listening = ferry.awaitStdout(LISTENING).group();
            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
            assertThat(ferry.stdout().lines().filter(line -> line.contains(listening)).findFirst())
                    .hasValueSatisfying(line -> assertThat(line).doesNotStartWith("{").contains(" INFO  "));
        }
    }

    private static void checkJsonLogs(FerryProcess started) throws Exception {
        String userId = "mallory')\n" + FORGED_SERVER_LINE + "\r\n" + FORGED_ACCESS_RECORD;
        List<String> stdout;
        try (FerryProcess ferry = started) {
            InetSocketAddress proxy = HostPort.parse(ferry.awaitStdout(LISTENING).group(1));
            try (RawSocksClient client = RawSocksClient.connect(proxy)) {
                // BIND is off by default: its refusal is an INFO record that names the request's user
                client.send(SocksRequests.socks4Request(0x02, new InetSocketAddress("127.0.0.1", 9), userId));
                assertThat(client.readSocks4Reply().status()).isEqualTo(91);
            }
            ferry.awaitStdout("is switched off on this server");
            ferry.awaitStdout("^\\{\"time\".*\"user\":\"mallory");
            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
            stdout = ferry.stdout().lines().toList();
        }
        assertThat(stdout).doesNotContain(FORGED_SERVER_LINE, FORGED_ACCESS_RECORD);
        List<Map<String, Object>> records = stdout.stream().map(JsonLines::parse).toList();
        List<Map<String, Object>> serverRecords = records.stream().filter(r -> r.containsKey("loggerName")).toList();
        assertThat(serverRecords).as("server records: start, listening, the refusal, stopping").hasSizeGreaterThan(3)
                .allSatisfy(r -> assertThat(r).containsKeys("timestamp", "level", "threadName", "formattedMessage"));
        assertThat(records).as("every other line is an access-log record")
                .filteredOn(r -> !r.containsKey("loggerName")).allSatisfy(r -> assertThat(r).containsKeys("time", "client"));
        assertThat(serverRecords).extracting(r -> (String) r.get("formattedMessage"))
                .filteredOn(message -> message.contains("is switched off on this server")).singleElement()
                .asString().contains("(user 'mallory\\x27)\\x0a" + FORGED_SERVER_LINE + "\\x0d\\x0a{");
        assertThat(records).as("the USERID reached one server record and one access record, nothing more")
                .filteredOn(r -> r.toString().contains("mallory")).hasSize(2);
    }
}
