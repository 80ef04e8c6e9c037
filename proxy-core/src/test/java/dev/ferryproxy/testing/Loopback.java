package dev.ferryproxy.testing;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;

/** Loopback addresses built from their bytes (never through a resolver), and small probes on them. */
public final class Loopback {
    /** 127.0.0.1. */
    public static final Inet4Address IPV4 = ipv4(127, 0, 0, 1);
    /** ::1. */
    public static final Inet6Address IPV6 = ipv6Loopback();

    private Loopback() {
    }

    /** An IPv4 address from its four octets, without DNS. */
    public static Inet4Address ipv4(int a, int b, int c, int d) {
        try {
            return (Inet4Address) InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static Inet6Address ipv6Loopback() {
        byte[] bytes = new byte[16];
        bytes[15] = 1;
        try {
            return Inet6Address.getByAddress(null, bytes, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Whether a listener can be bound on {@code address} here (e.g. 127.0.0.2, or ::1 where IPv6 is off). */
    public static boolean canBind(InetAddress address) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(address, 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A port on {@code address} with nothing listening: one the system just handed out and took back.
     * Another process could take it in between, which on loopback in a test run is unlikely enough.
     */
    public static InetSocketAddress closedPort(InetAddress address) throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(address, 0));
            return new InetSocketAddress(address, probe.getLocalPort());
        }
    }
}
