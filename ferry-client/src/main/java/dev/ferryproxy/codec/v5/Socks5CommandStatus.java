package dev.ferryproxy.codec.v5;

/** The REP byte of a SOCKS5 reply (RFC 1928 section 6). Open: any byte decodes. */
public record Socks5CommandStatus(byte byteValue) {
    public static final Socks5CommandStatus SUCCESS = new Socks5CommandStatus((byte) 0x00);
    public static final Socks5CommandStatus FAILURE = new Socks5CommandStatus((byte) 0x01);
    public static final Socks5CommandStatus FORBIDDEN = new Socks5CommandStatus((byte) 0x02);
    public static final Socks5CommandStatus NETWORK_UNREACHABLE = new Socks5CommandStatus((byte) 0x03);
    public static final Socks5CommandStatus HOST_UNREACHABLE = new Socks5CommandStatus((byte) 0x04);
    public static final Socks5CommandStatus CONNECTION_REFUSED = new Socks5CommandStatus((byte) 0x05);
    public static final Socks5CommandStatus TTL_EXPIRED = new Socks5CommandStatus((byte) 0x06);
    public static final Socks5CommandStatus COMMAND_UNSUPPORTED = new Socks5CommandStatus((byte) 0x07);
    public static final Socks5CommandStatus ADDRESS_UNSUPPORTED = new Socks5CommandStatus((byte) 0x08);

    private static final String[] MEANINGS = {
        "succeeded",
        "general SOCKS server failure",
        "connection not allowed by ruleset",
        "network unreachable",
        "host unreachable",
        "connection refused",
        "TTL expired",
        "command not supported",
        "address type not supported",
    };

    public static Socks5CommandStatus valueOf(byte b) {
        return new Socks5CommandStatus(b);
    }

    public boolean isSuccess() {
        return byteValue == 0;
    }

    /** The RFC 1928 wording of this code. */
    public String meaning() {
        int code = byteValue & 0xFF;
        return code < MEANINGS.length ? MEANINGS[code] : "unassigned";
    }

    @Override
    public String toString() {
        return String.format("0x%02x (%s)", byteValue & 0xFF, meaning());
    }
}
