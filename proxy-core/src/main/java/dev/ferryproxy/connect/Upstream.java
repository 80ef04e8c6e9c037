package dev.ferryproxy.connect;

import dev.ferryproxy.client.ProxyUri;

import java.util.List;
import java.util.Objects;

/**
 * A named route through one or more parent SOCKS proxies, which rules name with {@code via}.
 *
 * @param name the name rules use
 * @param hops the proxies, nearest first: the server connects to the first and asks each to
 *     CONNECT to the next; the last one reaches the destination
 */
public record Upstream(String name, List<ProxyUri> hops) {
    public Upstream {
        Objects.requireNonNull(name, "name");
        hops = List.copyOf(Objects.requireNonNull(hops, "hops"));
        if (name.isBlank()) {
            throw new IllegalArgumentException("an upstream needs a name");
        }
        if (hops.isEmpty()) {
            throw new IllegalArgumentException("upstream '" + name + "' has no proxy (expected: at least one)");
        }
    }

    /** The proxy the server connects to. */
    public ProxyUri firstHop() {
        return hops.get(0);
    }

    /** For logs: "name (socks5://a:1080 -> socks4://b:1080)", without passwords. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name).append(" (");
        for (int i = 0; i < hops.size(); i++) {
            sb.append(i == 0 ? "" : " -> ").append(hops.get(i));
        }
        return sb.append(')').toString();
    }
}
