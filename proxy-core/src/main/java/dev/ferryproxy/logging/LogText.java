package dev.ferryproxy.logging;

/**
 * Client-chosen text (a SOCKS5 user name, a SOCKS4 USERID, a domain name, an error that quotes
 * one) made safe for a log line. A client must not be able to end a line and forge the next one,
 * to hide what follows, or to close the quotes a log line puts around its text. So every character
 * that could is written as an escape, {@code \xNN} up to 0xFF and a backslash, {@code u} and four hex digits above:
 * <ul>
 *   <li>C0 and C1 control characters and DEL (newline, carriage return, escape sequences);</li>
 *   <li>Unicode line and paragraph separators, and format characters (bidirectional overrides,
 *       zero-width characters) that make a line read otherwise than it is;</li>
 *   <li>lone surrogates, unassigned and private-use code points;</li>
 *   <li>the backslash itself and the quote {@code '}, so that every escape in a line is one of
 *       ours and a quoted name ends where the log line's quote is.</li>
 * </ul>
 * Letters of any script stay as they are: {@code jörg} is logged as {@code jörg}.
 *
 * <p>{@link #oneLine} is the weaker form for a whole log message, whose quotes and backslashes are
 * the server's own: it escapes only what could end or hide a line. The server's log layout
 * applies it to every message as a second line of defence (it also covers libraries' messages).
 */
public final class LogText {
    private LogText() {
    }

    /** {@code text} with every character that could forge, end or hide a log line escaped; null stays null. */
    public static String escape(String text) {
        return escape(text, true);
    }

    /**
     * A whole log message kept to one line: what {@link #escape} escapes but the backslash and the
     * quote, which the message's own text uses. A tab stays a tab.
     */
    public static String oneLine(String message) {
        return escape(message, false);
    }

    private static String escape(String text, boolean quoted) {
        if (text == null) {
            return null;
        }
        int first = firstToEscape(text, quoted);
        if (first < 0) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length() + 16).append(text, 0, first);
        for (int i = first; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            if (mustEscape(codePoint, quoted)) {
                appendEscape(sb, text, i, codePoint);
            } else {
                sb.appendCodePoint(codePoint);
            }
            i += Character.charCount(codePoint);
        }
        return sb.toString();
    }

    private static int firstToEscape(String text, boolean quoted) {
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            if (mustEscape(codePoint, quoted)) {
                return i;
            }
            i += Character.charCount(codePoint);
        }
        return -1;
    }

    private static boolean mustEscape(int codePoint, boolean quoted) {
        if (codePoint >= 0x20 && codePoint < 0x7F) {
            return quoted && (codePoint == '\\' || codePoint == '\'');
        }
        if (codePoint == '\t' && !quoted) {
            return false;
        }
        switch (Character.getType(codePoint)) {
            case Character.CONTROL:
            case Character.FORMAT:
            case Character.LINE_SEPARATOR:
            case Character.PARAGRAPH_SEPARATOR:
            case Character.SURROGATE:
            case Character.UNASSIGNED:
            case Character.PRIVATE_USE:
                return true;
            default:
                return false;
        }
    }

    private static void appendEscape(StringBuilder sb, String text, int index, int codePoint) {
        if (codePoint <= 0xFF) {
            sb.append(String.format("\\x%02x", codePoint));
        } else if (Character.isBmpCodePoint(codePoint)) {
            sb.append(String.format("\\u%04x", codePoint));
        } else {
            // outside the BMP: both halves, so the escape names the UTF-16 the text held
            sb.append(String.format("\\u%04x\\u%04x", (int) text.charAt(index), (int) text.charAt(index + 1)));
        }
    }
}
