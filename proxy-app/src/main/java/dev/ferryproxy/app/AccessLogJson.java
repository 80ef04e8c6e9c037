package dev.ferryproxy.app;

import dev.ferryproxy.accesslog.AccessLogEntry;
import dev.ferryproxy.codec.SocksVersion;
import io.netty.util.NetUtil;

import java.net.InetSocketAddress;
import java.time.format.DateTimeFormatter;

/**
 * Renders an {@link AccessLogEntry} as one line of JSON, by hand: the fields in a fixed order, no
 * library, and only ASCII out. Quotes, backslashes, control characters and every non-ASCII
 * character in a string are escaped ({@code \"}, {@code \\}, {@code \n}, {@code \u0007}), so a
 * name or user a client chose can neither break the line nor forge a field. A requested domain
 * name is first made printable by {@code SocksAddress.printableHost()} (its odd bytes as
 * {@code \xNN}).
 */
final class AccessLogJson {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private AccessLogJson() {
    }

    static String render(AccessLogEntry entry) {
        StringBuilder json = new StringBuilder(320);
        render(entry, json);
        return json.toString();
    }

    /** Appends {@code entry}'s line, without the newline, to {@code json}. */
    static void render(AccessLogEntry entry, StringBuilder json) {
        json.append("{\"time\":");
        string(json, DateTimeFormatter.ISO_INSTANT.format(entry.time()));
        json.append(",\"listener\":");
        string(json, entry.listener() == null ? null : NetUtil.toSocketAddressString(entry.listener()));
        json.append(",\"client\":");
        string(json, entry.client() == null ? null : NetUtil.toAddressString(entry.client()));
        json.append(",\"user\":");
        string(json, entry.user());
        json.append(",\"version\":").append(entry.version() == SocksVersion.SOCKS4 ? 4 : 5);
        json.append(",\"command\":");
        string(json, entry.command().configName());
        json.append(",\"requested\":");
        string(json, entry.requested().toString());
        json.append(",\"dialled\":");
        string(json, address(entry.dialled()));
        json.append(",\"reply\":").append(entry.replyCode() < 0 ? "null" : Integer.toString(entry.replyCode()));
        json.append(",\"bytesFromClient\":").append(entry.bytesFromClient());
        json.append(",\"bytesToClient\":").append(entry.bytesToClient());
        json.append(",\"durationMs\":").append(entry.duration().toMillis());
        json.append(",\"end\":");
        string(json, entry.end().logName());
        json.append('}');
    }

    private static String address(InetSocketAddress address) {
        return address == null ? null : NetUtil.toSocketAddressString(address);
    }

    /** Appends {@code value} as a JSON string (or {@code null}), escaping all but printable ASCII. */
    static void string(StringBuilder json, String value) {
        if (value == null) {
            json.append("null");
            return;
        }
        json.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"':
                    json.append("\\\"");
                    break;
                case '\\':
                    json.append("\\\\");
                    break;
                case '\n':
                    json.append("\\n");
                    break;
                case '\r':
                    json.append("\\r");
                    break;
                case '\t':
                    json.append("\\t");
                    break;
                default:
                    if (c < 0x20 || c >= 0x7F) {
                        json.append("\\u").append(HEX[c >> 12 & 0xF]).append(HEX[c >> 8 & 0xF])
                                .append(HEX[c >> 4 & 0xF]).append(HEX[c & 0xF]);
                    } else {
                        json.append(c);
                    }
            }
        }
        json.append('"');
    }
}
