package dev.ferryproxy.policy;

import dev.ferryproxy.resolve.NumericHosts;
import static dev.ferryproxy.policy.TestRequests.ip;
import static dev.ferryproxy.policy.TestRequests.mappedIpv6;
import static dev.ferryproxy.policy.TestRequests.request;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SafeDefaultsTest {
    private static final AccessRules DEFAULTS = AccessRules.safeDefaults();
    private static final String LOCAL_DESTINATION =
            "default: destination on the proxy's host, link-local, cloud metadata or multicast";

    @Test
    void areOrdinaryRulesNamedAsDefaults() {
        assertThat(DEFAULTS.rules()).isNotEmpty().allSatisfy(rule -> assertThat(rule.name()).startsWith("default: "));
        assertThat(DEFAULTS.rules()).extracting(Rule::name).containsExactly(AccessRules.DEFAULT_LOOPBACK_CLIENTS,
                AccessRules.DEFAULT_EVERYTHING_ELSE);
        // what keeps other clients off the host is the guard behind every rule list, defaults or not
        assertThat(DEFAULTS.guard()).isSameAs(EgressGuard.standard());
        assertThat(AccessRules.DEFAULT_LOCAL_DESTINATIONS).isEqualTo(LOCAL_DESTINATION);
        assertThat(AccessRules.safeDefaults()).isSameAs(DEFAULTS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.9.9.9", "::1"})
    void letALoopbackClientGoAnywhereEvenToTheProxysHost(String client) {
        for (String destination : new String[] {"127.0.0.1", "::1", "169.254.169.254", "0.0.0.0", "93.184.216.34"}) {
            Decision decision = DEFAULTS.evaluate(request().client(client).address(destination).build());
            assertThat(decision.allowed()).as("%s -> %s", client, destination).isTrue();
            assertThat(decision.rule().name()).isEqualTo(AccessRules.DEFAULT_LOOPBACK_CLIENTS);
        }
        assertThat(DEFAULTS.evaluate(request().client(mappedIpv6("127.0.0.1")).address("127.0.0.1").build()).allowed())
                .as("a loopback client seen through an IPv6 socket").isTrue();
    }

    static Stream<Arguments> localDestinations() {
        return Stream.of(
                Arguments.of("127.0.0.1", ip("127.0.0.1")),
                Arguments.of("127.53.0.1", ip("127.53.0.1")),
                Arguments.of("::1", ip("::1")),
                Arguments.of("::ffff:127.0.0.1 (as the JDK parses it)", ip("::ffff:127.0.0.1")),
                Arguments.of("::ffff:127.0.0.1 (as an Inet6Address)", mappedIpv6("127.0.0.1")),
                Arguments.of("169.254.169.254", ip("169.254.169.254")),
                Arguments.of("::ffff:169.254.169.254", mappedIpv6("169.254.169.254")),
                Arguments.of("0.0.0.0", ip("0.0.0.0")),
                Arguments.of("::ffff:0.0.0.0", mappedIpv6("0.0.0.0")),
                Arguments.of("fe80::1", ip("fe80::1")),
                Arguments.of("::", ip("::")),
                Arguments.of("fd00:ec2::254 (AWS metadata over IPv6)", ip("fd00:ec2::254")),
                Arguments.of("100.100.100.200 (Alibaba Cloud metadata)", ip("100.100.100.200")),
                Arguments.of("168.63.129.16 (Azure WireServer)", ip("168.63.129.16")),
                Arguments.of("224.0.0.251 (mDNS)", ip("224.0.0.251")),
                Arguments.of("239.255.255.250 (SSDP)", ip("239.255.255.250")),
                Arguments.of("::ffff:239.255.255.250", mappedIpv6("239.255.255.250")),
                Arguments.of("255.255.255.255", ip("255.255.255.255")),
                Arguments.of("ff02::1 (all IPv6 nodes)", ip("ff02::1")));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("localDestinations")
    void denyARemoteClientTheProxysHostLinkLocalMetadataAndMulticast(String what, InetAddress destination) {
        for (String client : new String[] {"203.0.113.7", "10.0.0.2", "2001:db8::7"}) {
            Decision decision = DEFAULTS.evaluate(request().client(client).address(destination).build());
            assertThat(decision.allowed()).as("%s -> %s", client, what).isFalse();
            assertThat(decision.rule().name()).isEqualTo(LOCAL_DESTINATION);
            assertThat(decision.reason()).isEqualTo(LOCAL_DESTINATION + " (deny)");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"93.184.216.34", "2001:db8::1", "10.0.0.1", "192.168.1.1", "1.1.1.1", "fec0::1",
        "128.0.0.1", "126.255.255.255", "169.253.255.255", "169.255.0.0", "1.0.0.0", "::2", "100.100.100.201",
        "168.63.129.17", "223.255.255.255", "240.0.0.1", "fd00:ec2::253"})
    void letARemoteClientGoEverywhereElse(String destination) {
        Decision decision = DEFAULTS.evaluate(request().client("203.0.113.7").address(destination).build());
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.rule().name()).isEqualTo(AccessRules.DEFAULT_EVERYTHING_ELSE);
    }

    @Test
    void leaveANameUndecidedUntilResolvedForARemoteClient() {
        AccessRequest byName = request().client("203.0.113.7").name("metadata.example").build();
        assertThat(DEFAULTS.evaluateBeforeResolution(byName)).isEmpty();
        assertThat(DEFAULTS.evaluate(byName.withDestinationAddress(ip("169.254.169.254"))).allowed()).isFalse();
        assertThat(DEFAULTS.evaluate(byName.withDestinationAddress(ip("93.184.216.34"))).allowed()).isTrue();
    }

    @Test
    void decideANameEarlyForALoopbackClient() {
        AccessRequest byName = request().client("127.0.0.1").name("localhost").build();
        assertThat(DEFAULTS.evaluateBeforeResolution(byName)).get().extracting(Decision::allowed).isEqualTo(true);
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.1", "0177.0.0.1", "0x7f.0.0.1", "2130706433", "0x7f000001", "127.0.1",
        "::ffff:127.0.0.1", "[::1]", "127.0.0.1.", "[::ffff:7f00:1]", "::1%lo", "0", "0x0.0", "0xa9fea9fe",
        "169.254.43518", "0251.0376.0251.0376", "[fe80::1%25eth0]"})
    void catchEveryNumericSpellingOfALocalAddress(String host) {
        InetAddress address = NumericHosts.parse(host).orElseThrow(() -> new AssertionError(host + " is numeric"));
        assertThat(address.isLoopbackAddress() || address.isAnyLocalAddress() || address.isLinkLocalAddress())
                .as("%s spells %s", host, address).isTrue();
        // the caller passes a numeric host as an address, not as a name
        Decision decision = DEFAULTS.evaluate(request().client("203.0.113.7").address(address).build());
        assertThat(decision.allowed()).as(host).isFalse();
        assertThat(decision.rule().name()).isEqualTo(LOCAL_DESTINATION);
    }

    @ParameterizedTest
    @ValueSource(strings = {"example.com", "1.example", "0x", "localhost", "127.0.0.1.example", "0x7f.example"})
    void leaveRealNamesToBeResolved(String host) {
        assertThat(NumericHosts.parse(host)).isEmpty();
        assertThat(DEFAULTS.evaluateBeforeResolution(request().client("203.0.113.7").name(host).build())).isEmpty();
    }
}
