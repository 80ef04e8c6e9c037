package dev.ferryproxy.policy;

import java.util.Objects;

/** A destination port or an inclusive range. */
public final class PortRange {
    /** The largest port: ports are full unsigned 16-bit values, 0 included. */
    public static final int MAX_PORT = 0xFFFF;

    private final int lo;
    private final int hi;

    private PortRange(int lo, int hi) {
        this.lo = lo;
        this.hi = hi;
    }

    /** Parses "443" or "8000-8100" (decimal digits only, no spaces). */
    public static PortRange parse(String text) {
        Objects.requireNonNull(text, "text");
        int dash = text.indexOf('-');
        if (dash < 0) {
            int port = parsePort(text, text);
            return new PortRange(port, port);
        }
        int lo = parsePort(text, text.substring(0, dash));
        int hi = parsePort(text, text.substring(dash + 1));
        if (lo > hi) {
            throw new IllegalArgumentException("'" + text + "': the range is empty (" + lo + " > " + hi
                    + "; write the lower port first)");
        }
        return new PortRange(lo, hi);
    }

    /** The ports {@code lo..hi}, both included. */
    public static PortRange of(int lo, int hi) {
        checkPort(lo);
        checkPort(hi);
        if (lo > hi) {
            throw new IllegalArgumentException("port range " + lo + "-" + hi + " is empty (" + lo + " > " + hi + ")");
        }
        return new PortRange(lo, hi);
    }

    private static void checkPort(int port) {
        if (port < 0 || port > MAX_PORT) {
            throw new IllegalArgumentException("port " + port + " is out of range (expected: 0-" + MAX_PORT + ")");
        }
    }

    private static int parsePort(String text, String portText) {
        boolean digits = !portText.isEmpty();
        for (int i = 0; i < portText.length() && digits; i++) {
            digits = portText.charAt(i) >= '0' && portText.charAt(i) <= '9';
        }
        if (!digits) {
            throw new IllegalArgumentException("'" + text + "' is not a port or a port range"
                    + " (expected: a port 0-" + MAX_PORT + " or LO-HI, e.g. 443 or 8000-8100)");
        }
        // more than five digits cannot be a port; this also keeps parseInt from overflowing
        if (portText.length() > 5 || Integer.parseInt(portText) > MAX_PORT) {
            throw new IllegalArgumentException("'" + text + "': port " + portText + " is out of range (expected: 0-"
                    + MAX_PORT + ")");
        }
        return Integer.parseInt(portText);
    }

    /** Whether {@code port} is in the range. */
    public boolean contains(int port) {
        return port >= lo && port <= hi;
    }

    /** The lowest port of the range. */
    public int lo() {
        return lo;
    }

    /** The highest port of the range. */
    public int hi() {
        return hi;
    }

    /** "443" for a single port, "8000-8100" for a range. */
    @Override
    public String toString() {
        return lo == hi ? Integer.toString(lo) : lo + "-" + hi;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PortRange that && lo == that.lo && hi == that.hi;
    }

    @Override
    public int hashCode() {
        return 31 * lo + hi;
    }
}
