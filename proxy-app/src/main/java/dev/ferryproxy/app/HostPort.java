package dev.ferryproxy.app;

import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** Parses {@code HOST:PORT}, with IPv6 in brackets ({@code [::1]:1080}). */
public final class HostPort {
    private HostPort() {
    }

    /**
     * @throws IllegalArgumentException with a message fit for the user when the text is no HOST:PORT
     */
    public static InetSocketAddress parse(String text) {
        InetSocketAddress unresolved = parseUnresolved(text);
        return new InetSocketAddress(resolveAtStartup(unresolved.getHostString()), unresolved.getPort());
    }

    /**
     * HOST:PORT with the host kept as written (never looked up), for a target that the proxy, or
     * the client library, resolves later.
     *
     * @throws IllegalArgumentException with a message fit for the user when the text is no HOST:PORT
     */
    public static InetSocketAddress parseUnresolved(String text) {
        String host;
        String portText;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + text + "' is not [IPV6]:PORT");
            }
            host = text.substring(1, close);
            portText = text.substring(close + 2);
            if (!NetUtil.isValidIpV6Address(host)) {
                throw new IllegalArgumentException("'" + host + "' is not an IPv6 address");
            }
        } else {
            int colon = text.lastIndexOf(':');
            if (colon <= 0 || text.indexOf(':') != colon) {
                throw new IllegalArgumentException("'" + text + "' is not HOST:PORT (write IPv6 as [::1]:1080)");
            }
            host = text.substring(0, colon);
            portText = text.substring(colon + 1);
        }
        return InetSocketAddress.createUnresolved(host, parsePort(portText, text));
    }

    private static int parsePort(String portText, String whole) {
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + portText + "' in '" + whole + "' is not a port number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " in '" + whole + "' is out of range (expected: 0-65535)");
        }
        return port;
    }

    /** Literals parse without a lookup; a name is resolved once, at startup, off any event loop. */
    private static InetAddress resolveAtStartup(String host) {
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(host);
        try {
            return literal != null ? InetAddress.getByAddress(host, literal) : InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("cannot resolve '" + host + "'");
        }
    }
}
