package dev.ferryproxy.benchmarks.load;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * Where the four targets listen, as {@code sink=HOST:PORT,source=HOST:PORT,echo=HOST:PORT,udp-echo=HOST:PORT}:
 * what {@code targets} mode prints and {@code --targets} reads.
 */
public record TargetAddresses(InetSocketAddress sink, InetSocketAddress source, InetSocketAddress echo,
        InetSocketAddress udpEcho) {

    public static TargetAddresses parse(String text) {
        Map<String, InetSocketAddress> found = new HashMap<>();
        for (String part : text.trim().split("[,\\s]+")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("targets: '" + part + "' (expected: name=HOST:PORT)");
            }
            found.put(part.substring(0, eq), hostPort(part.substring(eq + 1)));
        }
        for (String name : new String[] {"sink", "source", "echo", "udp-echo"}) {
            if (!found.containsKey(name)) {
                throw new IllegalArgumentException("targets: no " + name + "=HOST:PORT in '" + text + "'");
            }
        }
        return new TargetAddresses(found.get("sink"), found.get("source"), found.get("echo"), found.get("udp-echo"));
    }

    /** {@code HOST:PORT}, IPv6 in brackets; the host is kept as written (no DNS). */
    static InetSocketAddress hostPort(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("'" + text + "' (expected: HOST:PORT)");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return InetSocketAddress.createUnresolved(host, Integer.parseInt(text.substring(colon + 1)));
    }

    @Override
    public String toString() {
        return "sink=" + text(sink) + ",source=" + text(source) + ",echo=" + text(echo) + ",udp-echo=" + text(udpEcho);
    }

    private static String text(InetSocketAddress address) {
        String host = address.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
