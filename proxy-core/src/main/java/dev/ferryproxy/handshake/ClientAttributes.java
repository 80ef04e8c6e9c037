package dev.ferryproxy.handshake;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/** What the handshake learns about a client and later stages read: who logged in. */
public final class ClientAttributes {
    /** The RFC 1929 user name after a successful login, or the SOCKS4 USERID. */
    public static final AttributeKey<String> USER = AttributeKey.valueOf(ClientAttributes.class, "user");

    private ClientAttributes() {
    }

    /** The client's address as rules and the throttle see it. */
    public static InetAddress clientAddress(Channel channel) {
        return ((InetSocketAddress) channel.remoteAddress()).getAddress();
    }

    /** The user set by the handshake, or {@code null}. */
    public static String user(Channel channel) {
        return channel.attr(USER).get();
    }
}
