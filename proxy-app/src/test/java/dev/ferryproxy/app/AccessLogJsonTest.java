package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.accesslog.AccessLogEntry;
import dev.ferryproxy.accesslog.EndReason;
import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksVersion;
import dev.ferryproxy.policy.Command;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

class AccessLogJsonTest {
    private static AccessLogEntry entry(String user, SocksAddress requested, int reply, EndReason end) throws Exception {
        return new AccessLogEntry(Instant.parse("2026-01-02T03:04:05.678Z"), new InetSocketAddress("127.0.0.1", 1080),
                InetAddress.getByName("::1"), user, SocksVersion.SOCKS5, Command.CONNECT, requested,
                reply == 0 ? new InetSocketAddress("192.0.2.7", 443) : null, reply, 12, 3456,
                Duration.ofMillis(1500), end);
    }

    @Test
    void aTunnelIsOneLineWithEveryField() throws Exception {
        String line = AccessLogJson.render(entry("alice", SocksAddress.domain("example.com", 443), 0,
                EndReason.CLIENT_CLOSED));
        assertThat(line).isEqualTo("{\"time\":\"2026-01-02T03:04:05.678Z\",\"listener\":\"127.0.0.1:1080\","
                + "\"client\":\"::1\",\"user\":\"alice\",\"version\":5,\"command\":\"connect\","
                + "\"requested\":\"example.com:443\",\"dialled\":\"192.0.2.7:443\",\"reply\":0,"
                + "\"bytesFromClient\":12,\"bytesToClient\":3456,\"durationMs\":1500,\"end\":\"client_closed\"}");
        assertThat(JsonLines.parse(line)).containsEntry("bytesToClient", 3456).containsEntry("dialled", "192.0.2.7:443");
    }

    @Test
    void namesAndUsersCannotBreakTheLineOrForgeAField() throws Exception {
        String name = "evil\n\",\"end\":\"x\u0007\u00e9.invalid";
        String user = "bob\"\\\r\t\u2028ü";
        String line = AccessLogJson.render(entry(user, SocksAddress.domain(name, 80), 4, EndReason.REJECTED));
        assertThat(line).doesNotContain("\n").doesNotContain("\r").matches("\\p{ASCII}*");
        Map<String, Object> parsed = JsonLines.parse(line);
        assertThat(parsed).containsEntry("user", user).containsEntry("end", "rejected").containsEntry("reply", 4)
                .containsEntry("dialled", null);
        assertThat(parsed.get("requested")).isEqualTo(SocksAddress.domain(name, 80).toString())
                .asString().doesNotContain("\n").doesNotContain("\u0007").startsWith("evil\\x0a\"");
    }

    @Test
    void theDestinationIsStdoutOffOrAFile() {
        assertThat(AccessLog.parse("stdout")).isEqualTo(AccessLog.STDOUT);
        assertThat(AccessLog.parse("off").isOff()).isTrue();
        assertThat(AccessLog.parse("/var/log/ferry/access.log").path()).isEqualTo(Path.of("/var/log/ferry/access.log"));
        assertThatThrownBy(() -> AccessLog.parse("")).isInstanceOf(IllegalArgumentException.class);
    }
}
