package dev.ferryproxy.udp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.udp.UdpClientEndpoint.Match;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;

class UdpClientEndpointTest {
    private static final InetAddress CLIENT = ip(127, 0, 0, 1);

    private static InetAddress ip(int... octets) {
        byte[] bytes = new byte[octets.length];
        for (int i = 0; i < octets.length; i++) {
            bytes[i] = (byte) octets[i];
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static SocksAddress declared(InetAddress address, int port) {
        return SocksAddress.of(new InetSocketAddress(address, port));
    }

    @Test
    void theDeclaredPortOfTheClientsOwnAddressIsUsed() {
        UdpClientEndpoint endpoint = UdpClientEndpoint.of(CLIENT, declared(CLIENT, 4000));
        assertThat(endpoint.portKnown()).isTrue();
        assertThat(endpoint.address()).isEqualTo(new InetSocketAddress(CLIENT, 4000));
        assertThat(endpoint.match(new InetSocketAddress(CLIENT, 4000))).isEqualTo(Match.CLIENT);
        assertThat(endpoint.match(new InetSocketAddress(CLIENT, 4001))).isEqualTo(Match.OTHER);
        assertThat(endpoint.match(new InetSocketAddress(ip(127, 0, 0, 2), 4000))).isEqualTo(Match.OTHER);
    }

    @Test
    void theDeclaredPortWithAZeroAddressIsUsed() {
        UdpClientEndpoint endpoint = UdpClientEndpoint.of(CLIENT, declared(ip(0, 0, 0, 0), 4000));
        assertThat(endpoint.address()).isEqualTo(new InetSocketAddress(CLIENT, 4000));
        UdpClientEndpoint ipv6Zero = UdpClientEndpoint.of(CLIENT, declared(ip(new int[16]), 4000));
        assertThat(ipv6Zero.address()).isEqualTo(new InetSocketAddress(CLIENT, 4000));
    }

    /** PySocks sends the name "0" (inet_aton's spelling of 0.0.0.0) and its port. */
    @Test
    void aNumericNameCountsAsTheAddressItSpells() {
        UdpClientEndpoint endpoint = UdpClientEndpoint.of(CLIENT, SocksAddress.domain("0", 4000));
        assertThat(endpoint.address()).isEqualTo(new InetSocketAddress(CLIENT, 4000));
        UdpClientEndpoint otherHost = UdpClientEndpoint.of(CLIENT, SocksAddress.domain("10.0.0.1", 4000));
        assertThat(otherHost.portKnown()).as("a numeric name of another host is that host").isFalse();
    }

    @Test
    void portZeroIsLatchedFromTheFirstDatagramOfTheClientsAddress() {
        UdpClientEndpoint endpoint = UdpClientEndpoint.of(CLIENT, declared(ip(0, 0, 0, 0), 0));
        assertThat(endpoint.address()).isNull();
        assertThat(endpoint.match(new InetSocketAddress(ip(127, 0, 0, 2), 5000))).isEqualTo(Match.OTHER);
        assertThat(endpoint.match(new InetSocketAddress(CLIENT, 5000))).isEqualTo(Match.CANDIDATE);
        endpoint.latch(5000);
        assertThat(endpoint.address()).isEqualTo(new InetSocketAddress(CLIENT, 5000));
        assertThat(endpoint.match(new InetSocketAddress(CLIENT, 5000))).isEqualTo(Match.CLIENT);
        assertThat(endpoint.match(new InetSocketAddress(CLIENT, 5001))).isEqualTo(Match.OTHER);
    }

    /** Behind NAT the declared address is private and the port may be rewritten: only the connection's IP counts. */
    @Test
    void anotherDeclaredAddressLeavesThePortToTheFirstDatagram() {
        UdpClientEndpoint endpoint = UdpClientEndpoint.of(CLIENT, declared(ip(10, 1, 2, 3), 4000));
        assertThat(endpoint.portKnown()).isFalse();
        assertThat(endpoint.match(new InetSocketAddress(ip(10, 1, 2, 3), 4000)))
                .as("the declared address never widens who may send").isEqualTo(Match.OTHER);
        assertThat(endpoint.match(new InetSocketAddress(CLIENT, 61000))).isEqualTo(Match.CANDIDATE);
    }

    @Test
    void anIpv4MappedControlConnectionIsTheIpv4Client() {
        InetAddress mapped = UdpAddressesTest.mapped(127, 0, 0, 1);
        UdpClientEndpoint endpoint = UdpClientEndpoint.of(mapped, declared(CLIENT, 4000));
        assertThat(endpoint.ip()).isEqualTo(CLIENT);
        assertThat(endpoint.address()).as("the declared IPv4 address is the mapped one").isNotNull();
        assertThat(endpoint.match(new InetSocketAddress(CLIENT, 4000))).isEqualTo(Match.CLIENT);
    }
}
