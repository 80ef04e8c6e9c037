package dev.ferryproxy.handshake;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * What the handshake learns about a client and later stages read: who logged in, and, behind a
 * load balancer, the client address its PROXY protocol header named.
 */
public final class ClientAttributes {
    /** The RFC 1929 user name after a successful login, or the SOCKS4 USERID. */
    public static final AttributeKey<String> USER = AttributeKey.valueOf(ClientAttributes.class, "user");

    /**
     * The client's address and port from a PROXY protocol header, set before the SOCKS detector
     * runs; absent without a header, or for a LOCAL header or an unknown address family.
     */
    public static final AttributeKey<InetSocketAddress> PROXIED_CLIENT =
            AttributeKey.valueOf(ClientAttributes.class, "proxiedClient");

    private ClientAttributes() {
    }

    /**
     * The client's address as rules, the throttle, UDP ASSOCIATE and logs see it: the one a PROXY
     * protocol header named, else the connection's peer.
     */
    public static InetAddress clientAddress(Channel channel) {
        return clientSocketAddress(channel).getAddress();
    }

    /** The client's address and port: the PROXY protocol header's, else the connection's peer. */
    public static InetSocketAddress clientSocketAddress(Channel channel) {
        InetSocketAddress proxied = channel.attr(PROXIED_CLIENT).get();
        return proxied != null ? proxied : (InetSocketAddress) channel.remoteAddress();
    }

    /** The user set by the handshake, or {@code null}. */
    public static String user(Channel channel) {
        return channel.attr(USER).get();
    }
}
