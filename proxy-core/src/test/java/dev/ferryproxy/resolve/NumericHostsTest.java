package dev.ferryproxy.resolve;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.NetUtil;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class NumericHostsTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        // four parts
        "127.0.0.1          | 127.0.0.1",
        "0177.0.0.1         | 127.0.0.1",
        "0x7f.0.0.1         | 127.0.0.1",
        "0X7F.0x0.00.0x01   | 127.0.0.1",
        "010.0.0.1          | 8.0.0.1",
        "1.2.3.04           | 1.2.3.4",
        "255.255.255.255    | 255.255.255.255",
        "0xff.0377.255.0XfF | 255.255.255.255",
        // four decimal parts that inet_aton refuses as octal, but Netty reads as decimal
        "096.152.032.117    | 96.152.32.117",
        "09.1.1.1           | 9.1.1.1",
        "1.2.3.08           | 1.2.3.8",
        // three parts: the last fills two bytes
        "127.0.1            | 127.0.0.1",
        "1.2.65535          | 1.2.255.255",
        "1.2.0xffff         | 1.2.255.255",
        // two parts: the last fills three bytes
        "127.1              | 127.0.0.1",
        "1.16777215         | 1.255.255.255",
        "0x7f.1             | 127.0.0.1",
        // one part: the whole address
        "2130706433         | 127.0.0.1",
        "0x7f000001         | 127.0.0.1",
        "017700000001       | 127.0.0.1",
        "4294967295         | 255.255.255.255",
        "0                  | 0.0.0.0",
        "00                 | 0.0.0.0",
        "0x0                | 0.0.0.0",
        "0xa9fea9fe         | 169.254.169.254",
        // a trailing dot on an all-numeric name
        "127.0.0.1.         | 127.0.0.1",
        "127.1.             | 127.0.0.1",
        "2130706433.        | 127.0.0.1",
    })
    void readsEveryInetAtonSpellingOfIpv4(String host, String expected) {
        Optional<InetAddress> address = NumericHosts.parse(host);
        assertThat(address).contains(ip(expected));
        assertThat(address.get()).isInstanceOf(Inet4Address.class);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "::1                      | ::1",
        "[::1]                    | ::1",
        "::                       | ::",
        "[::]                     | ::",
        "0:0:0:0:0:0:0:1          | ::1",
        "2001:DB8::1              | 2001:db8::1",
        "fe80::1%eth0             | fe80::1",
        "fe80::1%                 | fe80::1",
        "[fe80::1%25eth0]         | fe80::1",
        "::ffff:127.0.0.1         | 127.0.0.1",
        "[::ffff:127.0.0.1]       | 127.0.0.1",
        "::ffff:7f00:1            | 127.0.0.1",
        "::ffff:127.000.0.01      | 127.0.0.1",
        "1:2:3:4:5:6:1.2.3.4      | 1:2:3:4:5:6:102:304",
        "::7f00:1                 | ::7f00:1",
    })
    void readsIpv6LiteralsWithOrWithoutBracketsAndZone(String host, String expected) {
        assertThat(NumericHosts.parse(host)).contains(ip(expected));
    }

    @Test
    void givesTheIpv4AddressForAnIpv4MappedLiteral() {
        assertThat(NumericHosts.parse("::ffff:127.0.0.1")).get().isInstanceOf(Inet4Address.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // real names
        "example.com", "1.example", "0x", "localhost", "a", "0x.1", "1.0x", "cafe", "deadbeef", "0xg",
        // out of range: glibc sends these to DNS as names
        "256.1.1.1", "1.256.1.1", "1.2.3.256", "1.2.65536", "1.16777216", "4294967296", "0x100.0.0.1",
        "0x100000000", "01000.0.0.1", "99999999999999999999999",
        // malformed numbers: invalid octal, too many parts, empty parts, signs, spaces, non-ASCII digits
        "08", "09.1", "1.2.3.4.5", "1.2.3.4.5.", "127..1", ".127.0.0.1", "127.0.0.1..", "", ".", "-1", "+1",
        "1 ", " 1", "1.2.3.4 ", "\uFF11\uFF12\uFF17.0.0.1", "\u0661.2.3.4",
        // not IPv6 either
        "[127.0.0.1]", "::1::", ":::", "1:2:3:4:5:6:7:8:9", "[::1", "::1]", "::1.", "12345::", "::g",
        "::ffff:1.2.3", "::ffff:1.2.3.256", "::ffff:0127.0.0.1", "1.2.3.4::", "[[::1]]", "[::1]%eth0", "[]",
        "[127.1]",
    })
    void leavesEverythingElseToBeAName(String host) {
        assertThat(NumericHosts.parse(host)).isEmpty();
        assertThat(NetUtil.createByteArrayFromIpAddressString(host))
                .as("Netty's resolver would dial '%s' as an address", host).isNull();
    }

    /**
     * Netty's resolver dials anything NetUtil takes for an IP literal without asking DNS. If this
     * class called such text a name, the rules would judge it as a name and Netty would dial an
     * address nobody checked. So every literal NetUtil accepts must be numeric here too.
     */
    @Test
    void recognisesEveryLiteralNettyWouldDial() {
        Random random = new Random(20261122L);
        List<String> corpus = new ArrayList<>(List.of("::1", "[::1]", "::1%lo", "[::1%25lo]", "fe80::1%", "::",
                "::127.0.0.1", "::ffff:127.000.000.001", "01.02.03.04", "127.0.0.1", "0:0:0:0:0:0:0:1",
                "::ffff:1.2.3.4%1", "[::ffff:127.0.0.1]", "1::", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8"));
        for (int i = 0; i < 20_000; i++) {
            corpus.add(random.nextBoolean() ? randomIpv4Like(random) : randomIpv6Like(random));
        }
        int literals = 0;
        for (String host : corpus) {
            byte[] netty = NetUtil.createByteArrayFromIpAddressString(host);
            if (netty == null) {
                continue;
            }
            literals++;
            Optional<InetAddress> ours = NumericHosts.parse(host);
            assertThat(ours).as("Netty reads '%s' as an address", host).isPresent();
            if (!hasLeadingZeroPart(host) && !isIpv4Compatible(host, ours.get())) {
                // the two known differences aside (see NumericHosts), both must mean the same address
                assertThat(unmapped(ours.get().getAddress())).as(host).isEqualTo(unmapped(netty));
            }
        }
        assertThat(literals).as("the corpus must exercise many literals").isGreaterThan(2_000);
    }

    private static String randomIpv4Like(Random random) {
        StringBuilder host = new StringBuilder();
        int parts = 1 + random.nextInt(5);
        for (int p = 0; p < parts; p++) {
            if (p > 0) {
                host.append('.');
            }
            String digits = Integer.toString(random.nextInt(random.nextBoolean() ? 256 : 300));
            host.append(random.nextInt(8) == 0 ? "0" + digits : digits);
        }
        return random.nextInt(10) == 0 ? host + "." : host.toString();
    }

    private static String randomIpv6Like(Random random) {
        int groups = 1 + random.nextInt(8);
        List<String> parts = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            parts.add(Integer.toHexString(random.nextInt(random.nextBoolean() ? 0x10000 : 16)));
        }
        if (random.nextInt(4) == 0) {
            parts.set(parts.size() - 1, random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256)
                    + "." + random.nextInt(256));
        }
        String text = String.join(":", parts);
        if (random.nextBoolean()) {
            int gapAt = random.nextInt(parts.size() + 1);
            text = String.join(":", parts.subList(0, gapAt)) + "::" + String.join(":", parts.subList(gapAt, parts.size()));
        }
        if (random.nextInt(8) == 0) {
            text = text + "%eth0";
        }
        return random.nextInt(6) == 0 ? "[" + text + "]" : text;
    }

    /** inet_aton reads "010" as octal, Netty as decimal: see NumericHosts. */
    private static boolean hasLeadingZeroPart(String host) {
        return host.indexOf(':') < 0 && Arrays.stream(host.split("\\.")).anyMatch(p -> p.length() > 1 && p.startsWith("0"));
    }

    /** Netty reads "::a.b.c.d" as ::ffff:a.b.c.d; the standard (and Linux) read it as ::a.b.c.d, which is not routed. */
    private static boolean isIpv4Compatible(String host, InetAddress address) {
        byte[] bytes = address.getAddress();
        return host.indexOf('.') >= 0 && bytes.length == 16 && Arrays.equals(Arrays.copyOf(bytes, 12), new byte[12]);
    }

    private static byte[] unmapped(byte[] bytes) {
        boolean mapped = bytes.length == 16 && Arrays.equals(Arrays.copyOf(bytes, 10), new byte[10])
                && bytes[10] == (byte) 0xFF && bytes[11] == (byte) 0xFF;
        return mapped ? Arrays.copyOfRange(bytes, 12, 16) : bytes;
    }

    private static InetAddress ip(String literal) {
        // a dotted quad, or text with a colon: the JDK parses both itself and never asks DNS for them
        if (!literal.matches("\\d{1,3}(\\.\\d{1,3}){3}|[0-9a-fA-F.]*:[0-9a-fA-F:.]*")) {
            throw new IllegalArgumentException("not an IP literal: " + literal);
        }
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
