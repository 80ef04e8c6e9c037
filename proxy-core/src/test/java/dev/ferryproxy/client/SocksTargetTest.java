package dev.ferryproxy.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksAddressType;
import dev.ferryproxy.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

class SocksTargetTest {
    @Test
    void literalsAndNames() {
        assertThat(SocksTarget.of("192.0.2.1", 80).isIpLiteral()).isTrue();
        assertThat(SocksTarget.of("2001:db8::1", 80).isIpv6Literal()).isTrue();
        assertThat(SocksTarget.of("[2001:db8::1]", 80).host()).isEqualTo("2001:db8::1");
        assertThat(SocksTarget.of("example.com", 80).isIpLiteral()).isFalse();
        // not a dotted quad: a name, for the resolver (or the proxy) to interpret
        assertThat(SocksTarget.of("127.1", 80).isIpLiteral()).isFalse();
        assertThat(SocksTarget.of("[::1]", 443).toString()).isEqualTo("[::1]:443");
        assertThat(SocksTarget.of("h", 1).toString()).isEqualTo("h:1");
    }

    @Test
    void fromSocketAddresses() {
        assertThat(SocksTarget.of(new InetSocketAddress(Loopback.IPV6, 8))).isEqualTo(SocksTarget.of("::1", 8));
        assertThat(SocksTarget.of(InetSocketAddress.createUnresolved("example.org", 9)))
                .isEqualTo(SocksTarget.of("example.org", 9));
    }

    @Test
    void asSocksAddresses() {
        SocksAddress v4 = SocksTarget.of("192.0.2.1", 80).toSocksAddress();
        assertThat(v4.type()).isEqualTo(SocksAddressType.IPV4);
        SocksAddress v6 = SocksTarget.of("::ffff:192.0.2.1", 80).toSocksAddress();
        assertThat(v6.type()).as("an IPv4-mapped literal stays what it says").isIn(SocksAddressType.IPV6,
                SocksAddressType.IPV4);
        SocksAddress name = SocksTarget.of("b\u00fccher.example", 80).toSocksAddress();
        assertThat(name.type()).isEqualTo(SocksAddressType.DOMAIN);
        assertThat(name.host()).as("UTF-8 bytes, one char per byte").hasSize(15);
    }

    @Test
    void refusesWhatCannotBeSent() {
        assertThatThrownBy(() -> SocksTarget.of("", 80)).hasMessageContaining("empty");
        assertThatThrownBy(() -> SocksTarget.of("a\0b", 80)).hasMessageContaining("NUL");
        assertThatThrownBy(() -> SocksTarget.of("[not-v6]", 80)).hasMessageContaining("IPv6");
        assertThatThrownBy(() -> SocksTarget.of("x".repeat(256), 80)).hasMessageContaining("256 bytes");
    }
}
