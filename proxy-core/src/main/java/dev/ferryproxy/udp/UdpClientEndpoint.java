package dev.ferryproxy.udp;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.resolve.NumericHosts;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * Where the client's datagrams must come from: the IP address of its control connection, and a
 * port that the request declared or that the first datagram sets.
 *
 * <p>RFC 1928 says DST.ADDR and DST.PORT of the request are the address the client expects to
 * send from, zeros when not known, and that the server MAY use them to limit access. Here:
 * <ul>
 * <li>The IP is always the control connection's. A client that could name another IP could
 *     point the relay at a third host; the declared IP is never trusted to widen access.</li>
 * <li>The declared port is used when the declared address is zero ({@code 0.0.0.0}, {@code ::},
 *     or a name, which is not resolved for this) or equals the control connection's IP.</li>
 * <li>A port of zero, or a declared IP other than the connection's, leaves the port open until
 *     the first datagram from the client's IP with a well-formed header, which sets it. A client
 *     behind NAT declares its private address, and the NAT may change the port too, so its
 *     declared port says nothing about where its datagrams will come from.</li>
 * </ul>
 * Used on one event loop only.
 */
final class UdpClientEndpoint {
    /** How a datagram's sender relates to the client. */
    enum Match {
        /** The client's address and port. */
        CLIENT,
        /** The client's IP while its port is not known yet: the client, if its header parses. */
        CANDIDATE,
        /** Someone else. */
        OTHER
    }

    private final InetAddress ip;
    private final String declaration;
    private int port;
    /** {@code ip} and {@code port}, built once; {@code null} while the port is not known. */
    private InetSocketAddress address;

    private UdpClientEndpoint(InetAddress ip, int port, String declaration) {
        this.ip = ip;
        this.port = port;
        this.declaration = declaration;
        this.address = port == 0 ? null : new InetSocketAddress(ip, port);
    }

    /**
     * The endpoint of a client connected from {@code controlPeer} that declared {@code declared}
     * in its request.
     */
    static UdpClientEndpoint of(InetAddress controlPeer, SocksAddress declared) {
        InetAddress ip = UdpAddresses.normalize(controlPeer);
        Optional<InetAddress> declaredIp = declared.isDomain()
                ? NumericHosts.parse(declared.host()) : Optional.of(declared.inetAddress());
        boolean addressAgrees = declaredIp.isEmpty() || declaredIp.get().isAnyLocalAddress()
                || UdpAddresses.normalize(declaredIp.get()).equals(ip);
        return new UdpClientEndpoint(ip, addressAgrees ? declared.port() : 0, declared.toString());
    }

    /** Whether {@code sender} (normalised) is the client, may be, or is not. */
    Match match(InetSocketAddress sender) {
        if (!ip.equals(sender.getAddress())) {
            return Match.OTHER;
        }
        if (port == 0) {
            return Match.CANDIDATE;
        }
        return port == sender.getPort() ? Match.CLIENT : Match.OTHER;
    }

    /** Sets the port from the first datagram of a {@link Match#CANDIDATE}. */
    void latch(int senderPort) {
        if (port != 0) {
            throw new IllegalStateException("the client's port is already " + port);
        }
        port = senderPort;
        address = new InetSocketAddress(ip, senderPort);
    }

    /** Whether the port was declared (or has been set by the first datagram). */
    boolean portKnown() {
        return port != 0;
    }

    /** The client's IP: the control connection's, normalised. */
    InetAddress ip() {
        return ip;
    }

    /** Where replies go; {@code null} until the port is known. */
    InetSocketAddress address() {
        return address;
    }

    /** For logs: the address, and what the client declared. */
    @Override
    public String toString() {
        String host = NetUtil.toAddressString(ip);
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":"
                + (port == 0 ? "(port of its first datagram)" : Integer.toString(port))
                + " (declared " + declaration + ")";
    }
}
