package dev.ferryproxy.udp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

class UdpAddressesTest {
    /** ::ffff:a.b.c.d kept as an {@link Inet6Address}, as epoll reports it. */
    static Inet6Address mapped(int a, int b, int c, int d) {
        byte[] bytes = new byte[16];
        bytes[10] = (byte) 0xFF;
        bytes[11] = (byte) 0xFF;
        bytes[12] = (byte) a;
        bytes[13] = (byte) b;
        bytes[14] = (byte) c;
        bytes[15] = (byte) d;
        try {
            return Inet6Address.getByAddress(null, bytes, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anIpv4MappedAddressBecomesIpv4() throws Exception {
        InetAddress normal = UdpAddresses.normalize(mapped(192, 0, 2, 7));
        assertThat(normal).isInstanceOf(Inet4Address.class);
        assertThat(normal).isEqualTo(InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 7}));
        InetSocketAddress socket = UdpAddresses.normalize(new InetSocketAddress(mapped(127, 0, 0, 1), 53));
        assertThat(socket).isEqualTo(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 53));
    }

    @Test
    void otherAddressesStayAsTheyAre() throws Exception {
        InetAddress ipv4 = InetAddress.getByAddress(new byte[] {10, 0, 0, 1});
        byte[] compatible = new byte[16];
        compatible[15] = 1; // ::1, and ::0.0.0.1 in the deprecated IPv4-compatible form
        InetAddress loopback6 = InetAddress.getByAddress(compatible);
        byte[] almost = mapped(1, 2, 3, 4).getAddress();
        almost[9] = 1;
        InetAddress notMapped = Inet6Address.getByAddress(null, almost, -1);
        for (InetAddress address : new InetAddress[] {ipv4, loopback6, notMapped}) {
            assertThat(UdpAddresses.normalize(address)).isSameAs(address);
        }
        InetSocketAddress unchanged = new InetSocketAddress(ipv4, 1);
        assertThat(UdpAddresses.normalize(unchanged)).isSameAs(unchanged);
    }
}
