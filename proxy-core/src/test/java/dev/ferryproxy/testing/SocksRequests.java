package dev.ferryproxy.testing;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** The bytes of SOCKS client messages, built by hand so tests do not depend on the codecs under test. */
public final class SocksRequests {
    public static final int SOCKS5_CONNECT = 0x01;
    public static final int SOCKS5_BIND = 0x02;
    public static final int SOCKS5_UDP_ASSOCIATE = 0x03;
    public static final int SOCKS4_CONNECT = 0x01;
    public static final int SOCKS4_BIND = 0x02;

    private SocksRequests() {
    }

    /** The SOCKS5 greeting offering only "no authentication": {@code 05 01 00}. */
    public static byte[] socks5Greeting() {
        return bytes(0x05, 0x01, 0x00);
    }

    /** A SOCKS5 greeting offering {@code methods} in this order: {@code 05 NMETHODS METHODS...}. */
    public static byte[] socks5GreetingOffering(int... methods) {
        return concat(bytes(0x05, methods.length), bytes(methods));
    }

    /** An RFC 1929 username/password request: {@code 01 ULEN UNAME PLEN PASSWD}, the fields as given. */
    public static byte[] rfc1929Login(byte[] user, byte[] password) {
        return concat(bytes(0x01, user.length), user, bytes(password.length), password);
    }

    /** An RFC 1929 username/password request with both fields encoded as UTF-8. */
    public static byte[] rfc1929Login(String user, String password) {
        return rfc1929Login(user.getBytes(StandardCharsets.UTF_8), password.getBytes(StandardCharsets.UTF_8));
    }

    /** A SOCKS5 request for an IP address (ATYP 1 or 4, from the address's family). */
    public static byte[] socks5Request(int command, InetSocketAddress target) {
        byte[] ip = target.getAddress().getAddress();
        return concat(bytes(0x05, command, 0x00, ip.length == 4 ? 0x01 : 0x04), ip, port(target.getPort()));
    }

    /** A SOCKS5 request for a domain name (ATYP 3). */
    public static byte[] socks5Request(int command, String host, int port) {
        byte[] name = host.getBytes(StandardCharsets.ISO_8859_1);
        return concat(bytes(0x05, command, 0x00, 0x03, name.length), name, port(port));
    }

    /** A SOCKS5 CONNECT for an IP address. */
    public static byte[] socks5Connect(InetSocketAddress target) {
        return socks5Request(SOCKS5_CONNECT, target);
    }

    /** A SOCKS5 CONNECT for a domain name. */
    public static byte[] socks5Connect(String host, int port) {
        return socks5Request(SOCKS5_CONNECT, host, port);
    }

    /** A SOCKS4 request for an IPv4 address: {@code 04 CD PORT IP USERID 00}. */
    public static byte[] socks4Request(int command, InetSocketAddress target, String userId) {
        if (!(target.getAddress() instanceof Inet4Address)) {
            throw new IllegalArgumentException("SOCKS4 carries IPv4 only: " + target);
        }
        return concat(bytes(0x04, command), port(target.getPort()), target.getAddress().getAddress(),
                userId.getBytes(StandardCharsets.ISO_8859_1), bytes(0x00));
    }

    /** A SOCKS4 CONNECT for an IPv4 address with an empty USERID. */
    public static byte[] socks4Connect(InetSocketAddress target) {
        return socks4Request(SOCKS4_CONNECT, target, "");
    }

    /** A SOCKS4a CONNECT: DSTIP 0.0.0.1, then USERID and the host name, each NUL-terminated. */
    public static byte[] socks4aConnect(String host, int port, String userId) {
        return socks4aRequest(SOCKS4_CONNECT, host, port, userId);
    }

    /** A SOCKS4a request for a host name: DSTIP 0.0.0.1, then USERID and the name, each NUL-terminated. */
    public static byte[] socks4aRequest(int command, String host, int port, String userId) {
        return concat(bytes(0x04, command), port(port), bytes(0, 0, 0, 1),
                userId.getBytes(StandardCharsets.ISO_8859_1), bytes(0x00),
                host.getBytes(StandardCharsets.ISO_8859_1), bytes(0x00));
    }

    /** Bytes from ints (each taken modulo 256), for writing protocol bytes as in the RFC. */
    public static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    /** The arrays one after the other. */
    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static byte[] port(int port) {
        return bytes(port >>> 8, port);
    }
}
