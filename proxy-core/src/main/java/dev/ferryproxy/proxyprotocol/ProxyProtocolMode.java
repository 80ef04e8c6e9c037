package dev.ferryproxy.proxyprotocol;

/** Whether a listener expects a PROXY protocol (v1 or v2) header in front of SOCKS. */
public enum ProxyProtocolMode {
    /** No header is read: the first byte must be SOCKS. */
    OFF,
    /** A header from a trusted source is used when one comes; plain SOCKS is served otherwise. */
    OPTIONAL,
    /** Every connection must start with a header, from a trusted source. */
    REQUIRED;

    /**
     * {@code off}, {@code optional} or {@code required}, in any case.
     *
     * @throws IllegalArgumentException naming the modes there are
     */
    public static ProxyProtocolMode parse(String text) {
        for (ProxyProtocolMode mode : values()) {
            if (mode.name().equalsIgnoreCase(text)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a PROXY protocol mode (expected one of: off, optional,"
                + " required)");
    }

    /** The name as configuration files and options spell it. */
    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
