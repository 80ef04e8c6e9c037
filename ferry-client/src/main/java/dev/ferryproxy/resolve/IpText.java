package dev.ferryproxy.resolve;

/**
 * Parses and prints IP addresses in their standard text forms, on bytes, without DNS.
 *
 * <p>{@link java.net.InetAddress#getByName} is not used: given anything that is not a literal it
 * asks DNS, which would block and would let a name server decide what a rule means.
 *
 * <p>Public because the server's rules ({@code dev.ferryproxy.policy.Cidr}) parse with it too; it is
 * not part of the client library's API (see docs/client-library.md).
 */
public final class IpText {
    /** The length of an IPv4 address. */
    public static final int IPV4_BYTES = 4;
    /** The length of an IPv6 address. */
    public static final int IPV6_BYTES = 16;
    private static final int IPV6_WORDS = 8;

    private IpText() {
    }

    /**
     * The four bytes of a dotted quad {@code a.b.c.d} of decimal parts 0..255, or null.
     * {@code allowLeadingZeros} accepts parts like {@code 010} as decimal (up to three digits), as
     * Netty does inside IPv6 text; without it such parts are refused because other tools read them
     * as octal.
     */
    public static byte[] parseDottedQuad(String text, boolean allowLeadingZeros) {
        byte[] bytes = new byte[IPV4_BYTES];
        int part = 0;
        int start = 0;
        for (int i = 0; i <= text.length(); i++) {
            if (i < text.length() && text.charAt(i) != '.') {
                continue;
            }
            if (part == IPV4_BYTES) {
                return null;
            }
            int value = parseDecimalOctet(text, start, i, allowLeadingZeros);
            if (value < 0) {
                return null;
            }
            bytes[part++] = (byte) value;
            start = i + 1;
        }
        return part == IPV4_BYTES ? bytes : null;
    }

    private static int parseDecimalOctet(String text, int from, int to, boolean allowLeadingZeros) {
        int length = to - from;
        if (length < 1 || length > 3 || (!allowLeadingZeros && length > 1 && text.charAt(from) == '0')) {
            return -1;
        }
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value <= 0xFF ? value : -1;
    }

    /**
     * The sixteen bytes of IPv6 text (RFC 4291 section 2.2: groups of 1..4 hex digits, at most one
     * {@code ::}, an optional dotted quad in the last 32 bits), or null. No brackets, no zone id.
     */
    public static byte[] parseIpv6(String text, boolean allowLeadingZerosInIpv4) {
        int gap = text.indexOf("::");
        if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        int[] words = new int[IPV6_WORDS];
        int headCount;
        int tailCount = 0;
        int[] tail = new int[IPV6_WORDS];
        if (gap < 0) {
            headCount = parseGroups(text, true, allowLeadingZerosInIpv4, words);
            if (headCount != IPV6_WORDS) {
                return null;
            }
        } else {
            headCount = parseGroups(text.substring(0, gap), false, allowLeadingZerosInIpv4, words);
            tailCount = parseGroups(text.substring(gap + 2), true, allowLeadingZerosInIpv4, tail);
            // "::" stands for at least one group of zeros, so at most seven groups may be written
            if (headCount < 0 || tailCount < 0 || headCount + tailCount > IPV6_WORDS - 1) {
                return null;
            }
            System.arraycopy(tail, 0, words, IPV6_WORDS - tailCount, tailCount);
        }
        byte[] bytes = new byte[IPV6_BYTES];
        for (int i = 0; i < IPV6_WORDS; i++) {
            bytes[2 * i] = (byte) (words[i] >>> 8);
            bytes[2 * i + 1] = (byte) words[i];
        }
        return bytes;
    }

    /**
     * Parses colon-separated groups into {@code out}; returns how many 16-bit words they make, or
     * -1. An empty text is zero groups (one side of a "::").
     */
    private static int parseGroups(String text, boolean mayEndWithIpv4, boolean allowLeadingZerosInIpv4, int[] out) {
        if (text.isEmpty()) {
            return 0;
        }
        String[] groups = text.split(":", -1);
        int count = 0;
        for (int g = 0; g < groups.length; g++) {
            String group = groups[g];
            boolean last = g == groups.length - 1;
            if (last && mayEndWithIpv4 && group.indexOf('.') >= 0) {
                byte[] ipv4 = parseDottedQuad(group, allowLeadingZerosInIpv4);
                if (ipv4 == null || count + 2 > IPV6_WORDS) {
                    return -1;
                }
                out[count++] = ((ipv4[0] & 0xFF) << 8) | (ipv4[1] & 0xFF);
                out[count++] = ((ipv4[2] & 0xFF) << 8) | (ipv4[3] & 0xFF);
                continue;
            }
            int word = parseHexGroup(group);
            if (word < 0 || count == IPV6_WORDS) {
                return -1;
            }
            out[count++] = word;
        }
        return count;
    }

    private static int parseHexGroup(String group) {
        if (group.isEmpty() || group.length() > 4) {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < group.length(); i++) {
            int digit = Character.digit(group.charAt(i), 16);
            // Character.digit also takes non-ASCII digits (e.g. fullwidth); only ASCII is IPv6 text
            if (digit < 0 || group.charAt(i) > 'f') {
                return -1;
            }
            value = (value << 4) | digit;
        }
        return value;
    }

    /** Canonical text: dotted quad for 4 bytes, RFC 5952 (lower case, longest zero run as "::") for 16. */
    public static String format(byte[] address) {
        if (address.length == IPV4_BYTES) {
            return (address[0] & 0xFF) + "." + (address[1] & 0xFF) + "." + (address[2] & 0xFF) + "."
                    + (address[3] & 0xFF);
        }
        int[] words = new int[IPV6_WORDS];
        for (int i = 0; i < IPV6_WORDS; i++) {
            words[i] = ((address[2 * i] & 0xFF) << 8) | (address[2 * i + 1] & 0xFF);
        }
        // RFC 5952 4.2: compress the longest run of two or more zero groups, the first one on a tie
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < IPV6_WORDS; ) {
            int j = i;
            while (j < IPV6_WORDS && words[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < IPV6_WORDS; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(words[i]));
        }
        return text.toString();
    }
}
