package dev.ferryproxy.client;

import java.util.List;

/**
 * The SOCKS5 proxy accepted none of the authentication methods offered (it answered {@code 05 FF}),
 * typically because it requires a password and none was given.
 */
public final class NoAcceptableMethodException extends SocksException {
    private static final long serialVersionUID = 1L;

    private final List<Integer> offered;

    /** The proxy answered 0xFF: none of the offered methods; neither the methods nor the hop known. */
    public NoAcceptableMethodException() {
        this(List.of(), null);
    }

    /** {@code proxy} (may be null) answered 0xFF to the methods {@code offered}. */
    public NoAcceptableMethodException(List<Integer> offered, ProxyUri proxy) {
        super("no acceptable authentication method among those offered " + describe(offered)
                + (offered.contains(2) ? "" : "; the proxy may require a user name and password"), proxy, null);
        this.offered = List.copyOf(offered);
    }

    /** The methods that were offered (0x00 none, 0x02 username/password). */
    public List<Integer> offered() {
        return offered;
    }

    private static String describe(List<Integer> methods) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < methods.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format("0x%02x", methods.get(i)));
        }
        return sb.append(']').toString();
    }
}
