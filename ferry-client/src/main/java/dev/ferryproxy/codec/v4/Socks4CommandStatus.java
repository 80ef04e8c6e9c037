package dev.ferryproxy.codec.v4;

/** The CD byte of a SOCKS4 reply. */
public enum Socks4CommandStatus {
    /** 90: request granted. */
    SUCCESS((byte) 90),
    /** 91: request rejected or failed; the only failure code a SOCKS4 server without identd uses. */
    REJECTED_OR_FAILED((byte) 91),
    /** 92: rejected because the server cannot reach identd on the client. */
    IDENTD_UNREACHABLE((byte) 92),
    /** 93: rejected because identd and the client report different user ids. */
    IDENTD_AUTH_FAILURE((byte) 93);

    private final byte byteValue;

    Socks4CommandStatus(byte byteValue) {
        this.byteValue = byteValue;
    }

    public byte byteValue() {
        return byteValue;
    }

    /** The status for a CD byte, or {@code null} when SOCKS4 defines none. */
    public static Socks4CommandStatus valueOf(byte cd) {
        for (Socks4CommandStatus status : values()) {
            if (status.byteValue == cd) {
                return status;
            }
        }
        return null;
    }
}
