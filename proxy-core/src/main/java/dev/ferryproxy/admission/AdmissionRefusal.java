package dev.ferryproxy.admission;

/** Why a client was turned away by the admission limits; the {@code reason} tag of its meter. */
public enum AdmissionRefusal {
    CONNECTIONS("connections", "the server holds its most connections"),
    CLIENT_CONNECTIONS("client_connections", "this client holds its most connections"),
    CLIENT_HANDSHAKES("client_handshakes", "this client has its most handshakes under way"),
    UDP_ASSOCIATIONS("udp_associations", "the server holds its most UDP associations"),
    CLIENT_UDP_ASSOCIATIONS("client_udp_associations", "this client holds its most UDP associations");

    private final String tag;
    private final String why;

    AdmissionRefusal(String tag, String why) {
        this.tag = tag;
        this.why = why;
    }

    /** The meter's tag value. */
    public String tag() {
        return tag;
    }

    /** For log lines. */
    String why() {
        return why;
    }
}
