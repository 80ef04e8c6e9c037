package dev.ferryproxy.policy;

import dev.ferryproxy.resolve.IpText;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.Objects;

/**
 * An IPv4 or IPv6 network, matched on address bytes. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d)
 * are matched as the IPv4 address they carry, in both the CIDR and the candidate.
 *
 * <p>The mapping exists because a socket dialled to {@code ::ffff:127.0.0.1} reaches 127.0.0.1: a
 * rule about 127.0.0.0/8 must catch both spellings. It follows that an IPv6 network shorter than
 * /96 (say {@code ::/0}) matches native IPv6 addresses only, never an IPv4 or IPv4-mapped one.
 */
public final class Cidr {
    private static final int IPV4_BITS = 32;
    private static final int IPV6_BITS = 128;
    /** ::ffff:0:0/96: ten zero bytes, then two 0xff bytes. */
    private static final int MAPPED_PREFIX_BYTES = 12;
    private static final int MAPPED_PREFIX_BITS = 96;

    /** The network's address bytes (4 or 16), host bits zero; IPv4-mapped networks are stored as IPv4. */
    private final byte[] network;
    private final int prefixLength;

    private Cidr(byte[] network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /** Parses "10.0.0.0/8", "fe80::/10", or a single address ("127.0.0.1" is /32, "::1" is /128). */
    public static Cidr parse(String text) {
        Objects.requireNonNull(text, "text");
        int slash = text.indexOf('/');
        String addressText = slash < 0 ? text : text.substring(0, slash);
        byte[] address = parseAddress(text, addressText);
        int maxPrefix = address.length * 8;
        int prefix = slash < 0 ? maxPrefix : parsePrefix(text, text.substring(slash + 1), maxPrefix);
        byte[] network = masked(address, prefix);
        Cidr cidr = of(network, prefix);
        if (!Arrays.equals(network, address)) {
            throw new IllegalArgumentException(
                    "'" + text + "': host bits are set (did you mean " + cidr + "?)");
        }
        return cidr;
    }

    /** The network of {@code prefixLength} leading bits of {@code address}; host bits are cleared. */
    public static Cidr of(InetAddress address, int prefixLength) {
        byte[] bytes = address.getAddress();
        int maxPrefix = bytes.length * 8;
        if (prefixLength < 0 || prefixLength > maxPrefix) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is out of range (expected: 0-"
                    + maxPrefix + ")");
        }
        return of(masked(bytes, prefixLength), prefixLength);
    }

    private static Cidr of(byte[] network, int prefixLength) {
        // host bits are zero here, so a network with prefix < 96 never looks mapped
        if (network.length == IpText.IPV6_BYTES && prefixLength >= MAPPED_PREFIX_BITS && isMapped(network)) {
            return new Cidr(Arrays.copyOfRange(network, MAPPED_PREFIX_BYTES, IpText.IPV6_BYTES),
                    prefixLength - MAPPED_PREFIX_BITS);
        }
        return new Cidr(network, prefixLength);
    }

    private static byte[] parseAddress(String text, String addressText) {
        byte[] bytes = addressText.indexOf(':') >= 0
                ? IpText.parseIpv6(addressText, false)
                : IpText.parseDottedQuad(addressText, false);
        if (bytes != null) {
            return bytes;
        }
        throw new IllegalArgumentException("'" + text + "' is not an IP address" + hint(addressText));
    }

    /** Says why a near-miss was refused, so the user need not guess. */
    private static String hint(String addressText) {
        if (addressText.isEmpty()) {
            return " (the address is missing)";
        }
        if (addressText.indexOf('%') >= 0) {
            return " (a zone id such as %eth0 has no place in a network)";
        }
        if (addressText.startsWith("[") || addressText.endsWith("]")) {
            return " (write IPv6 without brackets, e.g. fe80::/10)";
        }
        boolean lenientOk = addressText.indexOf(':') >= 0
                ? IpText.parseIpv6(addressText, true) != null
                : IpText.parseDottedQuad(addressText, true) != null;
        if (lenientOk) {
            return " (leading zeros are not allowed: some tools read them as octal)";
        }
        return "";
    }

    private static int parsePrefix(String text, String prefixText, int maxPrefix) {
        String expected = " (expected: 0-" + maxPrefix + ")";
        if (prefixText.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "': prefix length is missing" + expected);
        }
        for (int i = 0; i < prefixText.length(); i++) {
            char c = prefixText.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException(
                        "'" + text + "': prefix length '" + prefixText + "' is not a number" + expected);
            }
        }
        // more than three digits cannot be in range; this also keeps parseInt from overflowing
        int prefix = prefixText.length() > 3 ? Integer.MAX_VALUE : Integer.parseInt(prefixText);
        if (prefix > maxPrefix) {
            throw new IllegalArgumentException(
                    "'" + text + "': prefix length " + prefixText + " is out of range" + expected);
        }
        return prefix;
    }

    private static byte[] masked(byte[] address, int prefixLength) {
        byte[] network = address.clone();
        for (int i = 0; i < network.length; i++) {
            int bitsKept = Math.max(0, Math.min(8, prefixLength - 8 * i));
            network[i] &= (byte) (0xFF00 >>> bitsKept);
        }
        return network;
    }

    private static boolean isMapped(byte[] bytes) {
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return bytes[10] == (byte) 0xFF && bytes[11] == (byte) 0xFF;
    }

    /** Whether {@code address} is in this network (an IPv4-mapped address counts as its IPv4 address). */
    public boolean contains(InetAddress address) {
        return contains(address.getAddress());
    }

    /** {@link #contains(InetAddress)} for an address's bytes (4 or 16), which are only read. */
    boolean contains(byte[] candidate) {
        // An IPv4-mapped candidate is compared as the IPv4 address it carries: its bytes from 12 on.
        int offset = candidate.length == IpText.IPV6_BYTES && isMapped(candidate) ? MAPPED_PREFIX_BYTES : 0;
        return candidate.length - offset == network.length && prefixMatches(candidate, offset);
    }

    /**
     * Whether the first prefixLength bits of {@code candidate} from {@code offset} are the network's;
     * compared in place, since this runs for each network of each rule a request is checked against.
     */
    private boolean prefixMatches(byte[] candidate, int offset) {
        int wholeBytes = prefixLength / 8;
        for (int i = 0; i < wholeBytes; i++) {
            if (candidate[offset + i] != network[i]) {
                return false;
            }
        }
        int partialBits = prefixLength % 8;
        if (partialBits == 0) {
            return true;
        }
        int mask = (0xFF00 >>> partialBits) & 0xFF;
        return (candidate[offset + wholeBytes] & mask) == (network[wholeBytes] & 0xFF);
    }

    /** Whether every address of this network is in {@code other}: the same family, as long a prefix or longer. */
    public boolean within(Cidr other) {
        return network.length == other.network.length && prefixLength >= other.prefixLength
                && other.prefixMatches(network, 0);
    }

    /** The number of leading bits that are fixed: 0-32 for IPv4, 0-128 for IPv6. */
    public int prefixLength() {
        return prefixLength;
    }

    /** Whether this is an IPv4 network (IPv4-mapped networks included). */
    public boolean isIpv4() {
        return network.length == IpText.IPV4_BYTES;
    }

    /** Canonical text: "a.b.c.d/n" or RFC 5952 "x::/n". */
    @Override
    public String toString() {
        return IpText.format(network) + "/" + prefixLength;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Cidr that && prefixLength == that.prefixLength && Arrays.equals(network, that.network);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(network) + prefixLength;
    }
}
