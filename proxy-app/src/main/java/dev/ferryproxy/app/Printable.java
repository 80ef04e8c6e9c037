package dev.ferryproxy.app;

import java.time.Duration;

/** Bytes and durations as the client commands show them to people. */
final class Printable {
    private Printable() {
    }

    /**
     * The first {@code max} bytes in double quotes: printable ASCII as is, {@code \r \n \t \\ \"}
     * escaped, any other byte as {@code \xHH}; {@code ...} after the quote when there were more.
     */
    static String quote(byte[] bytes, int max) {
        StringBuilder sb = new StringBuilder(Math.min(bytes.length, max) + 8).append('"');
        for (int i = 0; i < Math.min(bytes.length, max); i++) {
            int b = bytes[i] & 0xFF;
            switch (b) {
                case '\r':
                    sb.append("\\r");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '"':
                    sb.append("\\\"");
                    break;
                default:
                    if (b >= 0x20 && b < 0x7F) {
                        sb.append((char) b);
                    } else {
                        sb.append(String.format("\\x%02X", b));
                    }
            }
        }
        sb.append('"');
        if (bytes.length > max) {
            sb.append("...");
        }
        return sb.toString();
    }

    /** {@code 1 byte}, {@code 0 bytes}, {@code 16 bytes}. */
    static String bytes(long count) {
        return count + (count == 1 ? " byte" : " bytes");
    }

    /** {@code 2 s}, {@code 1.5 s} or {@code 500 ms}. */
    static String duration(Duration duration) {
        long millis = duration.toMillis();
        if (millis < 1000) {
            return millis + " ms";
        }
        return millis % 1000 == 0 ? millis / 1000 + " s" : String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
    }
}
