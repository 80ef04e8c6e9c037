package dev.ferryproxy.bind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** Who may connect to a BIND listener, from what the request named. */
class ExpectedPeerTest {
    private static final InetAddress OTHER = Loopback.ipv4(127, 0, 0, 2);

    @Test
    void anAddressAcceptsOnlyThatAddress() {
        ExpectedPeer peer = ExpectedPeer.at(Loopback.IPV4);
        assertThat(peer.anyPeer()).isFalse();
        assertThat(peer.matches(Loopback.IPV4)).isTrue();
        assertThat(peer.matches(OTHER)).isFalse();
        assertThat(peer.matches(Loopback.IPV6)).isFalse();
        assertThat(peer).hasToString("127.0.0.1");
    }

    @Test
    void unspecifiedAddressesAcceptAnyPeer() {
        for (InetAddress unspecified : List.of(Loopback.ipv4(0, 0, 0, 0), ipv6(new byte[16]))) {
            ExpectedPeer peer = ExpectedPeer.at(unspecified);
            assertThat(peer.anyPeer()).as("%s", unspecified).isTrue();
            assertThat(peer.matches(OTHER)).isTrue();
            assertThat(peer.matches(Loopback.IPV6)).isTrue();
            assertThat(peer).hasToString("any peer");
        }
    }

    @Test
    void ipv4MappedAddressesCountAsTheirIpv4Address() {
        InetAddress mapped = ipv6(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 1});
        assertThat(mapped).isInstanceOf(Inet6Address.class);
        assertThat(ExpectedPeer.at(mapped).matches(Loopback.IPV4)).isTrue();
        assertThat(ExpectedPeer.at(Loopback.IPV4).matches(mapped)).isTrue();
        assertThat(ExpectedPeer.at(mapped).matches(OTHER)).isFalse();
    }

    @Test
    void aNamesAddressesAreEachAccepted() {
        ExpectedPeer peer = ExpectedPeer.atAnyOf(List.of(Loopback.IPV4, Loopback.IPV6));
        assertThat(peer.matches(Loopback.IPV4)).isTrue();
        assertThat(peer.matches(Loopback.IPV6)).isTrue();
        assertThat(peer.matches(OTHER)).isFalse();
        assertThat(peer).hasToString("127.0.0.1, ::1");
    }

    /** A name that resolves to 0.0.0.0 names that address, not "anyone". */
    @Test
    void aNameResolvingToTheUnspecifiedAddressAcceptsNobodyElse() {
        ExpectedPeer peer = ExpectedPeer.atAnyOf(List.of(Loopback.ipv4(0, 0, 0, 0)));
        assertThat(peer.anyPeer()).isFalse();
        assertThat(peer.matches(Loopback.IPV4)).isFalse();
    }

    @Test
    void aNameWithoutAllowedAddressesIsAMistake() {
        assertThatThrownBy(() -> ExpectedPeer.atAnyOf(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    private static InetAddress ipv6(byte[] bytes) {
        try {
            return Inet6Address.getByAddress(null, bytes, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
