package dev.ferryproxy.policy;

import dev.ferryproxy.resolve.NumericHosts;
import java.util.Objects;

/**
 * A destination host name: exact ("example.com") or wildcard ("*.example.com" matches any name
 * strictly under example.com, not example.com itself). Case-insensitive; a trailing dot is ignored
 * on both sides. The pattern "*" alone matches every name.
 *
 * <p>Case is folded for ASCII letters only, as DNS does (RFC 4343): names arrive one char per
 * byte, and folding other chars would make two different byte strings match.
 */
public final class DomainPattern {
    private static final String ANY = "*";
    private static final String WILDCARD_PREFIX = "*.";
    private static final int MAX_NAME_LENGTH = 253;
    private static final int MAX_LABEL_LENGTH = 63;

    /** The normalized pattern: lower case, no trailing dot. */
    private final String pattern;
    /** For "*.example.com": ".example.com"; null for an exact pattern and for "*". */
    private final String suffix;

    private DomainPattern(String pattern) {
        this.pattern = pattern;
        this.suffix = pattern.startsWith(WILDCARD_PREFIX) ? pattern.substring(1) : null;
    }

    /** Parses "example.com", "*.example.com" or "*"; refuses IP addresses, which only CIDRs match. */
    public static DomainPattern parse(String text) {
        Objects.requireNonNull(text, "text");
        String pattern = normalize(text);
        if (pattern.equals(ANY)) {
            return new DomainPattern(ANY);
        }
        boolean wildcard = pattern.startsWith(WILDCARD_PREFIX);
        String name = wildcard ? pattern.substring(WILDCARD_PREFIX.length()) : pattern;
        // a request by address never carries a name, so an address here would silently never match
        if (!wildcard && NumericHosts.parse(name).isPresent()) {
            throw new IllegalArgumentException("'" + text + "' is an IP address, not a name"
                    + " (match addresses with a destination network, e.g. 10.0.0.0/8)");
        }
        checkName(text, name);
        return new DomainPattern(pattern);
    }

    private static void checkName(String text, String name) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' is not a host name (it is empty)");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("'" + text + "' is longer than " + MAX_NAME_LENGTH + " characters");
        }
        int labelLength = 0;
        for (int i = 0; i <= name.length(); i++) {
            char c = i < name.length() ? name.charAt(i) : '.';
            if (c == '.') {
                if (labelLength == 0) {
                    throw new IllegalArgumentException("'" + text + "' has an empty label");
                }
                labelLength = 0;
            } else if (c == '*') {
                throw new IllegalArgumentException("'" + text + "': '*' is only allowed alone or as the whole"
                        + " first label (e.g. *.example.com)");
            } else if (!isHostNameChar(c)) {
                throw new IllegalArgumentException("'" + text + "': '" + c + "' cannot be in a host name"
                        + " (allowed: letters, digits, '-', '_'; write internationalized names in punycode)");
            } else if (++labelLength > MAX_LABEL_LENGTH) {
                throw new IllegalArgumentException("'" + text + "' has a label longer than " + MAX_LABEL_LENGTH
                        + " characters");
            }
        }
    }

    private static boolean isHostNameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }

    /** ASCII lower case, and one trailing dot dropped (a fully qualified name is the same name). */
    private static String normalize(String name) {
        String trimmed = name.length() > 1 && name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        StringBuilder lower = null;
        for (int i = 0; i < trimmed.length(); i++) {
            char c = trimmed.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                if (lower == null) {
                    lower = new StringBuilder(trimmed);
                }
                lower.setCharAt(i, (char) (c + ('a' - 'A')));
            }
        }
        return lower == null ? trimmed : lower.toString();
    }

    /** Whether {@code hostName} is this name, or strictly under it for a wildcard, or anything for "*". */
    public boolean matches(String hostName) {
        String name = normalize(hostName);
        if (pattern.equals(ANY)) {
            return !name.isEmpty();
        }
        if (suffix == null) {
            return name.equals(pattern);
        }
        // at least one char before the dot: "*.example.com" does not match ".example.com"
        return name.length() > suffix.length() && name.endsWith(suffix);
    }

    /** Whether this is a wildcard pattern ("*" or "*.example.com"). */
    public boolean isWildcard() {
        return pattern.startsWith(ANY);
    }

    /** The normalized pattern: lower case, without a trailing dot. */
    @Override
    public String toString() {
        return pattern;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DomainPattern that && pattern.equals(that.pattern);
    }

    @Override
    public int hashCode() {
        return pattern.hashCode();
    }
}
