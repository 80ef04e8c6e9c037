package dev.ferryproxy.policy;

import static dev.ferryproxy.policy.TestRequests.ip;
import static dev.ferryproxy.policy.TestRequests.request;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, finding 7: the safe egress defaults hold behind configured rules too (a rule with
 * {@code clients:}, as the open-proxy error suggests, used to drop them all), and only a rule that
 * names a guarded network opens it.
 */
class EgressGuardTest {
    private static final Rule OFFICE_ANYWHERE = Rule.builder("rules[0]", Action.ALLOW)
            .clients(Cidr.parse("10.0.0.0/8")).build();

    private static Decision decide(AccessRules rules, String client, String destination) {
        return rules.evaluate(request().client(client).address(destination).build());
    }

    @Test
    void aRuleWithClientsKeepsTheGuardedDestinationsClosed() {
        AccessRules rules = new AccessRules(List.of(OFFICE_ANYWHERE));
        for (String destination : List.of("127.0.0.1", "169.254.169.254", "fd00:ec2::254", "100.100.100.200",
                "168.63.129.16", "224.0.0.251", "ff02::1", "0.0.0.0")) {
            Decision decision = decide(rules, "10.1.2.3", destination);
            assertThat(decision.allowed()).as(destination).isFalse();
            assertThat(decision.reason()).isEqualTo(EgressGuard.NAME + " (deny)");
        }
        assertThat(decide(rules, "10.1.2.3", "93.184.216.34").allowed()).isTrue();
        assertThat(decide(rules, "192.0.2.1", "93.184.216.34").reason()).isEqualTo("no rule matched");
    }

    @Test
    void onlyARuleNamingTheNetworkOpensIt() {
        Rule metadata = Rule.builder("rules[0]", Action.ALLOW).destinationNetworks(Cidr.parse("169.254.169.254/32")).build();
        Rule everything = Rule.builder("rules[1]", Action.ALLOW).destinationNetworks(Cidr.parse("0.0.0.0/0")).build();
        AccessRules rules = new AccessRules(List.of(metadata, everything));
        assertThat(decide(rules, "10.1.2.3", "169.254.169.254").reason()).isEqualTo("rules[0] (allow)");
        assertThat(decide(rules, "10.1.2.3", "169.254.169.253").allowed()).as("0.0.0.0/0 names nothing").isFalse();
        assertThat(decide(rules, "10.1.2.3", "127.0.0.1").allowed()).isFalse();
        assertThat(rules.guard().explicitOpenings(rules)).containsExactly("rules[0] allows 169.254.169.254/32");
    }

    @Test
    void theHostsOwnAddressesAreGuardedAndAWideNetworkAroundThemDoesNotOpenThem() {
        EgressGuard guard = EgressGuard.withHostAddresses(List.of(ip("10.0.0.5"), ip("127.0.0.1"), ip("fe80::1"),
                ip("2001:db8::5")));
        assertThat(guard.hostAddresses()).extracting(Cidr::toString).containsExactly("10.0.0.5/32", "2001:db8::5/128");
        Rule lan = Rule.builder("rules[0]", Action.ALLOW).destinationNetworks(Cidr.parse("10.0.0.0/8")).build();
        AccessRules rules = new AccessRules(List.of(lan), guard);
        assertThat(decide(rules, "10.9.9.9", "10.0.0.5").allowed()).as("the proxy's own LAN address").isFalse();
        assertThat(decide(rules, "10.9.9.9", "10.0.0.6").allowed()).as("a neighbour").isTrue();
        Rule own = Rule.builder("rules[0]", Action.ALLOW).destinationNetworks(Cidr.parse("10.0.0.5/32")).build();
        assertThat(decide(new AccessRules(List.of(own), guard), "10.9.9.9", "10.0.0.5").allowed()).isTrue();
        assertThat(EgressGuard.withHostAddresses(List.of(ip("127.0.0.1")))).isSameAs(EgressGuard.standard());
    }

    @Test
    void loopbackClientsAreNotGuarded() {
        AccessRules rules = new AccessRules(List.of(Rule.builder("rules[0]", Action.ALLOW).build()));
        assertThat(decide(rules, "127.0.0.1", "127.0.0.1").allowed()).isTrue();
        assertThat(decide(rules, "::1", "169.254.169.254").allowed()).isTrue();
        assertThat(rules.evaluateBeforeResolution(request().client("127.0.0.1").name("example.com").build()))
                .get().extracting(Decision::allowed).isEqualTo(true);
    }

    @Test
    void aNameAllowedByARuleIsDecidedPerResolvedAddressForAGuardedClient() {
        AccessRules rules = new AccessRules(List.of(OFFICE_ANYWHERE));
        AccessRequest byName = request().client("10.1.2.3").name("rebinding.example").build();
        assertThat(rules.evaluateBeforeResolution(byName)).as("undecided until resolved").isEmpty();
        assertThat(rules.evaluate(byName.withDestinationAddress(ip("169.254.169.254"))).allowed()).isFalse();
        assertThat(rules.evaluate(byName.withDestinationAddress(ip("93.184.216.34"))).allowed()).isTrue();
    }

    @Test
    void theGuardSurvivesTheSafeDefaultsAndAGuardChange() {
        EgressGuard guard = EgressGuard.withHostAddresses(List.of(ip("192.0.2.80")));
        AccessRules none = new AccessRules(List.of(), guard);
        assertThat(none.orSafeDefaults().guard()).isSameAs(guard);
        assertThat(none.orSafeDefaults()).isSameAs(none.orSafeDefaults());
        assertThat(decide(none.orSafeDefaults(), "203.0.113.7", "192.0.2.80").allowed()).isFalse();
        assertThat(decide(AccessRules.safeDefaults(), "203.0.113.7", "192.0.2.80").allowed())
                .as("the standard guard does not know that host").isTrue();
    }

    @Test
    void cidrWithin() {
        assertThat(Cidr.parse("169.254.169.254/32").within(Cidr.parse("169.254.0.0/16"))).isTrue();
        assertThat(Cidr.parse("169.254.0.0/16").within(Cidr.parse("169.254.0.0/16"))).isTrue();
        assertThat(Cidr.parse("0.0.0.0/0").within(Cidr.parse("169.254.0.0/16"))).isFalse();
        assertThat(Cidr.parse("::ffff:169.254.1.0/120").within(Cidr.parse("169.254.0.0/16"))).isTrue();
        assertThat(Cidr.parse("fe80::/64").within(Cidr.parse("169.254.0.0/16"))).isFalse();
    }
}
