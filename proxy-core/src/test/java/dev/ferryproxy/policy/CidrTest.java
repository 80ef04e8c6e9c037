package dev.ferryproxy.policy;

import static dev.ferryproxy.policy.TestRequests.ip;
import static dev.ferryproxy.policy.TestRequests.mappedIpv6;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "10.0.0.0/8          | 10.0.0.0/8",
        "0.0.0.0/0           | 0.0.0.0/0",
        "127.0.0.1           | 127.0.0.1/32",
        "255.255.255.255/32  | 255.255.255.255/32",
        "192.168.2.0/23      | 192.168.2.0/23",
        "::1                 | ::1/128",
        "::                  | ::/128",
        "::/0                | ::/0",
        "FE80::/10           | fe80::/10",
        "2001:0db8:0000:0000:0000:0000:0000:0000/32 | 2001:db8::/32",
        "1:0:0:1:0:0:0:1     | 1:0:0:1::1/128",
        "1:0:0:2:0:0:3:4     | 1::2:0:0:3:4/128",
        "1:2:3:4:5:6:7:0     | 1:2:3:4:5:6:7:0/128",
        "1:2:3:4:5:6::8      | 1:2:3:4:5:6:0:8/128",
        "64:ff9b::192.0.2.0/120 | 64:ff9b::c000:200/120",
        "1:2:3:4:5:6:1.2.3.4 | 1:2:3:4:5:6:102:304/128",
        "::ffff:10.0.0.0/104 | 10.0.0.0/8",
        "::ffff:0:0/96       | 0.0.0.0/0",
        "::FFFF:7f00:1       | 127.0.0.1/32",
    })
    void parsesAndPrintsCanonically(String text, String canonical) {
        Cidr cidr = Cidr.parse(text);
        assertThat(cidr).hasToString(canonical);
        assertThat(Cidr.parse(canonical)).as("the canonical text parses to the same network").isEqualTo(cidr);
    }

    @Test
    void matchesIpv4NetworksOnTheirPrefixBits() {
        Cidr eight = Cidr.parse("10.0.0.0/8");
        assertThat(eight.contains(ip("10.0.0.0"))).isTrue();
        assertThat(eight.contains(ip("10.255.255.255"))).isTrue();
        assertThat(eight.contains(ip("11.0.0.0"))).isFalse();
        assertThat(eight.contains(ip("9.255.255.255"))).isFalse();

        Cidr nine = Cidr.parse("10.0.0.0/9");
        assertThat(nine.contains(ip("10.127.255.255"))).isTrue();
        assertThat(nine.contains(ip("10.128.0.0"))).isFalse();

        Cidr host = Cidr.parse("192.0.2.1");
        assertThat(host.contains(ip("192.0.2.1"))).isTrue();
        assertThat(host.contains(ip("192.0.2.2"))).isFalse();
        assertThat(host.contains(ip("192.0.2.0"))).isFalse();

        Cidr all = Cidr.parse("0.0.0.0/0");
        assertThat(all.contains(ip("0.0.0.0"))).isTrue();
        assertThat(all.contains(ip("255.255.255.255"))).isTrue();
    }

    @Test
    void matchesIpv6NetworksOnTheirPrefixBits() {
        Cidr linkLocal = Cidr.parse("fe80::/10");
        assertThat(linkLocal.contains(ip("fe80::1"))).isTrue();
        assertThat(linkLocal.contains(ip("febf:ffff::1"))).isTrue();
        assertThat(linkLocal.contains(ip("fec0::1"))).isFalse();
        assertThat(linkLocal.contains(ip("fe7f::1"))).isFalse();

        Cidr documentation = Cidr.parse("2001:db8::/32");
        assertThat(documentation.contains(ip("2001:db8::1"))).isTrue();
        assertThat(documentation.contains(ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"))).isTrue();
        assertThat(documentation.contains(ip("2001:db9::"))).isFalse();

        Cidr loopback = Cidr.parse("::1");
        assertThat(loopback.contains(ip("::1"))).isTrue();
        assertThat(loopback.contains(ip("::2"))).isFalse();
        assertThat(loopback.contains(ip("::"))).isFalse();

        assertThat(Cidr.parse("::/0").contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))).isTrue();
    }

    @Test
    void neverMatchesAcrossAddressFamilies() {
        assertThat(Cidr.parse("0.0.0.0/0").contains(ip("::1"))).isFalse();
        assertThat(Cidr.parse("0.0.0.0/0").contains(ip("2001:db8::1"))).isFalse();
        // documented: an IPv6 network shorter than /96 holds native IPv6 only; mapped addresses are IPv4
        assertThat(Cidr.parse("::/0").contains(ip("1.2.3.4"))).isFalse();
        assertThat(Cidr.parse("::/0").contains(mappedIpv6("1.2.3.4"))).isFalse();
        // ::7f00:1 is IPv4-compatible (deprecated), not IPv4-mapped: it is not 127.0.0.1
        assertThat(Cidr.parse("127.0.0.0/8").contains(ip("::7f00:1"))).isFalse();
    }

    @Test
    void matchesAnIpv4MappedCandidateAsItsIpv4Address() {
        assertThat(mappedIpv6("127.0.0.1").getAddress()).as("the candidate really is a 16-byte address").hasSize(16);

        Cidr loopback = Cidr.parse("127.0.0.0/8");
        assertThat(loopback.contains(mappedIpv6("127.0.0.1"))).isTrue();
        assertThat(loopback.contains(mappedIpv6("127.255.0.9"))).isTrue();
        assertThat(loopback.contains(mappedIpv6("128.0.0.1"))).isFalse();
    }

    @Test
    void matchesAnIpv4MappedNetworkAsItsIpv4Network() {
        Cidr mapped = Cidr.parse("::ffff:127.0.0.0/104");
        assertThat(mapped).isEqualTo(Cidr.parse("127.0.0.0/8")).hasSameHashCodeAs(Cidr.parse("127.0.0.0/8"));
        assertThat(mapped.isIpv4()).isTrue();
        assertThat(mapped.prefixLength()).isEqualTo(8);
        assertThat(mapped.contains(ip("127.0.0.1"))).isTrue();
        assertThat(mapped.contains(mappedIpv6("127.0.0.1"))).isTrue();
        assertThat(mapped.contains(ip("128.0.0.1"))).isFalse();
        assertThat(mapped.contains(ip("::1"))).isFalse();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "10.0.0.0/33         | '10.0.0.0/33': prefix length 33 is out of range (expected: 0-32)",
        "::/129              | '::/129': prefix length 129 is out of range (expected: 0-128)",
        "10.0.0.0/99999999999 | '10.0.0.0/99999999999': prefix length 99999999999 is out of range (expected: 0-32)",
        "10.0.0.1/8          | '10.0.0.1/8': host bits are set (did you mean 10.0.0.0/8?)",
        "192.168.1.0/23      | '192.168.1.0/23': host bits are set (did you mean 192.168.0.0/23?)",
        "fe80::1/10          | 'fe80::1/10': host bits are set (did you mean fe80::/10?)",
        "::ffff:10.0.0.1/104 | '::ffff:10.0.0.1/104': host bits are set (did you mean 10.0.0.0/8?)",
        "300.1.1.1/8         | '300.1.1.1/8' is not an IP address",
        "1.2.3/24            | '1.2.3/24' is not an IP address",
        "127.1               | '127.1' is not an IP address",
        "1.2.3.4.5           | '1.2.3.4.5' is not an IP address",
        "localhost           | 'localhost' is not an IP address",
        "example.com/24      | 'example.com/24' is not an IP address",
        "1::2::3             | '1::2::3' is not an IP address",
        ":::1                | ':::1' is not an IP address",
        "1:2:3:4:5:6:7:8:9   | '1:2:3:4:5:6:7:8:9' is not an IP address",
        "1:2:3:4:5:6:7::8    | '1:2:3:4:5:6:7::8' is not an IP address",
        "12345::/16          | '12345::/16' is not an IP address",
        "::1.2.3.4.5         | '::1.2.3.4.5' is not an IP address",
        "1.2.3.4::           | '1.2.3.4::' is not an IP address",
        "010.0.0.0/8         | '010.0.0.0/8' is not an IP address (leading zeros are not allowed: some tools read them as octal)",
        "fe80::%eth0/10      | 'fe80::%eth0/10' is not an IP address (a zone id such as %eth0 has no place in a network)",
        "[::1]/128           | '[::1]/128' is not an IP address (write IPv6 without brackets, e.g. fe80::/10)",
        "/8                  | '/8' is not an IP address (the address is missing)",
        "\"\"                | '' is not an IP address (the address is missing)",
        "10.0.0.0/           | '10.0.0.0/': prefix length is missing (expected: 0-32)",
        "::/                 | '::/': prefix length is missing (expected: 0-128)",
        "10.0.0.0/x          | '10.0.0.0/x': prefix length 'x' is not a number (expected: 0-32)",
        "10.0.0.0/-1         | '10.0.0.0/-1': prefix length '-1' is not a number (expected: 0-32)",
        "10.0.0.0/8/8        | '10.0.0.0/8/8': prefix length '8/8' is not a number (expected: 0-32)",
        "\" 10.0.0.0/8\"     | ' 10.0.0.0/8' is not an IP address",
    })
    void refusesMalformedNetworksSayingWhatIsWrong(String text, String message) {
        assertThatThrownBy(() -> Cidr.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void neverResolvesANameEvenOneThatWouldResolve() {
        // "localhost" resolves everywhere without a network: a parser that fell back to
        // InetAddress.getByName would accept it
        assertThatThrownBy(() -> Cidr.parse("localhost/8")).hasMessage("'localhost/8' is not an IP address");
    }

    @Test
    void buildsANetworkFromAnAddressAndClearsTheHostBits() {
        assertThat(Cidr.of(ip("10.1.2.3"), 8)).isEqualTo(Cidr.parse("10.0.0.0/8"));
        assertThat(Cidr.of(ip("2001:db8::1"), 32)).hasToString("2001:db8::/32");
        assertThatThrownBy(() -> Cidr.of(ip("10.1.2.3"), 33))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prefix length 33 is out of range (expected: 0-32)");
    }

    @Test
    void isAValue() {
        assertThat(Cidr.parse("10.0.0.0/8")).isEqualTo(Cidr.parse("10.0.0.0/8"))
                .hasSameHashCodeAs(Cidr.parse("10.0.0.0/8"))
                .isNotEqualTo(Cidr.parse("10.0.0.0/9"))
                .isNotEqualTo(Cidr.parse("11.0.0.0/8"));
        assertThat(Cidr.parse("::/0")).isNotEqualTo(Cidr.parse("0.0.0.0/0"));
        assertThat(Cidr.parse("fe80::/10").isIpv4()).isFalse();
    }
}
