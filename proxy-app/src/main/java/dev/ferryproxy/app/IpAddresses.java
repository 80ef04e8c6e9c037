package dev.ferryproxy.app;

import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Parses an IP address given as a setting: a literal only, since a reply to a client carries an address. */
public final class IpAddresses {
    private IpAddresses() {
    }

    /**
     * The address {@code text} spells: IPv4 dotted quad, or IPv6 with or without brackets.
     *
     * @throws IllegalArgumentException for a name, anything else, or the wildcard address
     */
    public static InetAddress parse(String text) {
        String literal = text.strip();
        if (literal.startsWith("[") && literal.endsWith("]")) {
            literal = literal.substring(1, literal.length() - 1);
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(literal);
        if (bytes == null) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address (expected e.g. 203.0.113.7 or"
                    + " 2001:db8::7; a name is not accepted: replies carry addresses)");
        }
        try {
            InetAddress address = InetAddress.getByAddress(bytes);
            if (address.isAnyLocalAddress()) {
                throw new IllegalArgumentException("'" + text + "' is the wildcard address, which no client can reach");
            }
            return address;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address", e);
        }
    }
}
