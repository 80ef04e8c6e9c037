package dev.ferryproxy.admission;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * The unit in which logins are counted per client: an IPv4 address, or an IPv6 /64, which is what
 * one host usually holds (a host that may pick any address of its /64 is still one client).
 */
public final class ClientPrefix {
    private ClientPrefix() {
    }

    public static InetAddress of(InetAddress client) {
        if (!(client instanceof Inet6Address)) {
            return client;
        }
        byte[] prefix = Arrays.copyOf(client.getAddress(), 16);
        Arrays.fill(prefix, 8, 16, (byte) 0);
        try {
            return InetAddress.getByAddress(prefix);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
