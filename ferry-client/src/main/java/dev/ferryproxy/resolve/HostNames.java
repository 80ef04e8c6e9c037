package dev.ferryproxy.resolve;

import java.util.Locale;

/** Syntax checks on host names before they reach DNS. */
public final class HostNames {
    /** The longest name DNS can carry in text form, without the trailing dot. */
    public static final int MAX_NAME_LENGTH = 253;
    private static final int MAX_LABEL_LENGTH = 63;

    private HostNames() {
    }

    /**
     * Whether {@code name} can be a DNS host name: labels of 1..63 letters, digits, hyphens or
     * underscores, separated by dots, with an optional trailing dot. Anything else (control
     * chars, spaces, empty labels, non-ASCII bytes) would never resolve, so it is refused here
     * rather than sent to a name server.
     */
    public static boolean isValidHostName(String name) {
        int length = name.endsWith(".") ? name.length() - 1 : name.length();
        if (length == 0 || length > MAX_NAME_LENGTH) {
            return false;
        }
        int labelLength = 0;
        for (int i = 0; i < length; i++) {
            char c = name.charAt(i);
            if (c == '.') {
                if (labelLength == 0) {
                    return false;
                }
                labelLength = 0;
                continue;
            }
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_';
            if (!allowed || ++labelLength > MAX_LABEL_LENGTH) {
                return false;
            }
        }
        return labelLength > 0;
    }

    /**
     * Whether {@code name} is under the special-use domain {@code invalid} (RFC 6761 section 6.4):
     * resolver libraries should answer such names negatively at once, without a query.
     */
    public static boolean isUnderInvalidDomain(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".")) {
            lower = lower.substring(0, lower.length() - 1);
        }
        return lower.equals("invalid") || lower.endsWith(".invalid");
    }
}
