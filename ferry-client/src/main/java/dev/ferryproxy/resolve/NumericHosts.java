package dev.ferryproxy.resolve;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.Optional;

/**
 * Numeric host spellings that resolvers (inet_aton) accept, so that a "name" like 127.1 or 0x7f.1
 * is treated as the address it spells and can never slip past address rules.
 *
 * <p>The caller must dial the address returned here, not hand the text to another parser: tools
 * disagree on some spellings (inet_aton reads {@code 010.0.0.1} as octal, 8.0.0.1; Netty's
 * {@code NetUtil} reads it as 10.0.0.1), and a rule is only sound for the address it was checked on.
 */
public final class NumericHosts {
    private static final int MAX_IPV4_PARTS = 4;
    private static final long MAX_IPV4 = 0xFFFF_FFFFL;

    private NumericHosts() {
    }

    /**
     * The address a host string spells without DNS, or Optional.empty() for a real name.
     *
     * <p>Accepted: IPv6 literals, with or without brackets, with {@code ::} and an embedded IPv4
     * part, with a zone id ({@code fe80::1%eth0}) that is dropped; IPv4 in every inet_aton form
     * (1-4 parts, each decimal, octal with a leading 0 or hex with 0x, the last part filling the
     * remaining bytes), with one optional trailing dot; and four decimal parts with leading zeros
     * that inet_aton refuses but Netty reads as decimal ({@code 096.1.1.1}). Anything else
     * ({@code 256.1.1.1}, {@code 1.2.3.4.5}, {@code 08}, {@code 0x}) is left to be a name, as glibc
     * does.
     */
    public static Optional<InetAddress> parse(String host) {
        Objects.requireNonNull(host, "host");
        byte[] bytes = host.indexOf(':') >= 0 ? parseIpv6(host) : parseIpv4(host);
        return bytes == null ? Optional.empty() : Optional.of(toInetAddress(bytes));
    }

    private static byte[] parseIpv6(String host) {
        String text = host;
        if (text.startsWith("[") && text.endsWith("]") && text.length() >= 2) {
            text = text.substring(1, text.length() - 1);
        }
        int zone = text.indexOf('%');
        if (zone >= 0) {
            // a zone id picks an interface, not an address; the rules judge the address
            text = text.substring(0, zone);
        }
        // leading zeros in the embedded IPv4 part are read as decimal, as Netty reads them, so
        // that nothing Netty takes for an address is passed on as a name
        return IpText.parseIpv6(text, true);
    }

    private static byte[] parseIpv4(String host) {
        // "127.0.0.1." is a fully qualified spelling of the same thing; DNS would be asked for it
        String text = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        byte[] address = parseInetAton(text);
        // inet_aton refuses "096.1.1.1" (9 is no octal digit), but Netty's NetUtil reads it as
        // decimal and dials it without asking DNS: it must not pass for a name
        return address != null ? address : IpText.parseDottedQuad(text, true);
    }

    private static byte[] parseInetAton(String text) {
        long[] parts = new long[MAX_IPV4_PARTS];
        int count = 0;
        int start = 0;
        for (int i = 0; i <= text.length(); i++) {
            if (i < text.length() && text.charAt(i) != '.') {
                continue;
            }
            if (count == MAX_IPV4_PARTS) {
                return null;
            }
            long value = parsePart(text, start, i);
            if (value < 0) {
                return null;
            }
            parts[count++] = value;
            start = i + 1;
        }
        return assemble(parts, count);
    }

    /** One inet_aton part: decimal, octal ("0" prefix) or hex ("0x" prefix); -1 if malformed or over 32 bits. */
    private static long parsePart(String text, int from, int to) {
        int radix = 10;
        int digitsFrom = from;
        if (to - from >= 2 && text.charAt(from) == '0' && (text.charAt(from + 1) == 'x' || text.charAt(from + 1) == 'X')) {
            radix = 16;
            digitsFrom = from + 2;
        } else if (to - from >= 2 && text.charAt(from) == '0') {
            radix = 8;
            digitsFrom = from + 1;
        }
        if (digitsFrom == to) {
            return -1; // an empty part, or "0x" with no digits
        }
        long value = 0;
        for (int i = digitsFrom; i < to; i++) {
            char c = text.charAt(i);
            int digit = c < 0x80 ? Character.digit(c, radix) : -1;
            if (digit < 0) {
                return -1;
            }
            value = value * radix + digit;
            if (value > MAX_IPV4) {
                return -1;
            }
        }
        return value;
    }

    /** inet_aton's rule: each part but the last is one byte; the last fills the bytes that remain. */
    private static byte[] assemble(long[] parts, int count) {
        long address = 0;
        for (int i = 0; i < count - 1; i++) {
            if (parts[i] > 0xFF) {
                return null;
            }
            address |= parts[i] << (8 * (3 - i));
        }
        long last = parts[count - 1];
        int lastBits = 8 * (MAX_IPV4_PARTS - count + 1);
        if (last >= (1L << lastBits)) {
            return null;
        }
        address |= last;
        return new byte[] {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
    }

    private static InetAddress toInetAddress(byte[] bytes) {
        try {
            // getByAddress never looks anything up; it turns an IPv4-mapped IPv6 address into IPv4
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError("a 4- or 16-byte array is always a valid address", e);
        }
    }
}
