package dev.ferryproxy.client;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.v4.Socks4CommandResponse;
import dev.ferryproxy.codec.v5.Socks5CommandResponse;
import dev.ferryproxy.codec.v5.Socks5CommandStatus;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A proxy's reply to a request, as the version carries it.
 *
 * @param protocol the protocol the reply was read in
 * @param replyCode SOCKS5 REP (0 succeeded) or SOCKS4 CD (90 granted)
 * @param meaning the wording of the code in RFC 1928 or the SOCKS4 description
 * @param bound BND.ADDR/BND.PORT (SOCKS4: DSTIP/DSTPORT): the proxy's outbound address for
 *     CONNECT, the listening address and then the peer's for BIND, the UDP relay for UDP
 *     ASSOCIATE; unresolved when the proxy named it by a domain name
 */
public record SocksReply(SocksProtocol protocol, int replyCode, String meaning, InetSocketAddress bound) {
    /** Requires a protocol, a meaning and a bound address. */
    public SocksReply {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(meaning, "meaning");
        Objects.requireNonNull(bound, "bound");
    }

    /** Whether the code says success (SOCKS5 0x00, SOCKS4 90). */
    public boolean isSuccess() {
        return replyCode == successCode(protocol);
    }

    static SocksReply of(SocksProtocol protocol, Socks5CommandResponse response) {
        return new SocksReply(protocol, response.status().byteValue() & 0xFF, response.status().meaning(),
                toSocketAddress(response.bnd()));
    }

    static SocksReply of(SocksProtocol protocol, Socks4CommandResponse response) {
        int code = response.status().byteValue() & 0xFF;
        return new SocksReply(protocol, code, socks4Meaning(code), toSocketAddress(response.bound()));
    }

    static int successCode(SocksProtocol protocol) {
        return protocol.carriesIpv6() ? 0 : 90;
    }

    /** The wording of a SOCKS4 CD byte in the SOCKS4 description. */
    public static String socks4Meaning(int code) {
        switch (code) {
            case 90:
                return "request granted";
            case 91:
                return "request rejected or failed";
            case 92:
                return "request rejected because the SOCKS server cannot connect to identd on the client";
            case 93:
                return "request rejected because the client program and identd report different user-ids";
            default:
                return "unassigned";
        }
    }

    /** The RFC 1928 wording of a SOCKS5 REP byte. */
    public static String socks5Meaning(int code) {
        return Socks5CommandStatus.valueOf((byte) code).meaning();
    }

    static InetSocketAddress toSocketAddress(SocksAddress address) {
        return address.isDomain()
                ? InetSocketAddress.createUnresolved(address.host(), address.port())
                : new InetSocketAddress(address.inetAddress(), address.port());
    }

    @Override
    public String toString() {
        String code = protocol.carriesIpv6() ? String.format("0x%02x", replyCode) : String.valueOf(replyCode);
        return protocol.scheme() + " reply " + code + " (" + meaning + "), bound " + bound;
    }
}
