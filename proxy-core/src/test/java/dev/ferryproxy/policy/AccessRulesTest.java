package dev.ferryproxy.policy;

import static dev.ferryproxy.policy.TestRequests.ip;
import static dev.ferryproxy.policy.TestRequests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AccessRulesTest {
    private static final Rule DENY_INTERNAL = Rule.builder("rules[0]", Action.DENY)
            .destinationNetworks(Cidr.parse("10.0.0.0/8"), Cidr.parse("fd00::/8")).build();
    private static final Rule ALLOW_EXAMPLE = Rule.builder("rules[1]", Action.ALLOW)
            .destinationNames(DomainPattern.parse("*.example.com")).build();
    private static final Rule DENY_SMTP = Rule.builder("rules[2]", Action.DENY)
            .destinationPorts(PortRange.parse("25")).build();
    private static final Rule ALLOW_ALL = Rule.builder("rules[3]", Action.ALLOW).build();

    @Test
    void theFirstMatchingRuleDecides() {
        Rule denyPort25 = Rule.builder("deny-25", Action.DENY).destinationPorts(PortRange.parse("25")).build();
        Rule allowAll = Rule.builder("allow-all", Action.ALLOW).build();
        AccessRequest smtp = request().port(25).build();

        Decision denied = new AccessRules(List.of(denyPort25, allowAll)).evaluate(smtp);
        assertThat(denied.allowed()).isFalse();
        assertThat(denied.rule()).isSameAs(denyPort25);
        assertThat(denied.reason()).isEqualTo("deny-25 (deny)");

        Decision allowed = new AccessRules(List.of(allowAll, denyPort25)).evaluate(smtp);
        assertThat(allowed.allowed()).isTrue();
        assertThat(allowed.rule()).isSameAs(allowAll);
        assertThat(allowed.reason()).isEqualTo("allow-all (allow)");
    }

    @Test
    void rulesThatDoNotMatchAreSkipped() {
        AccessRules rules = new AccessRules(List.of(DENY_INTERNAL, ALLOW_EXAMPLE, DENY_SMTP, ALLOW_ALL));
        assertThat(rules.evaluate(request().address("10.1.1.1").build()).rule()).isSameAs(DENY_INTERNAL);
        assertThat(rules.evaluate(request().address("fd12::1").build()).rule()).isSameAs(DENY_INTERNAL);
        assertThat(rules.evaluate(request().name("www.example.com").address("192.0.2.1").port(25).build()).rule())
                .isSameAs(ALLOW_EXAMPLE);
        assertThat(rules.evaluate(request().address("192.0.2.1").port(25).build()).rule()).isSameAs(DENY_SMTP);
        assertThat(rules.evaluate(request().address("192.0.2.1").port(80).build()).rule()).isSameAs(ALLOW_ALL);
    }

    @Test
    void noMatchingRuleIsADenial() {
        Decision decision = new AccessRules(List.of(DENY_SMTP)).evaluate(request().port(80).build());
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.action()).isEqualTo(Action.DENY);
        assertThat(decision.rule()).isNull();
        assertThat(decision.reason()).isEqualTo("no rule matched");
    }

    @Test
    void noRulesAtAllDenyEverything() {
        AccessRules none = new AccessRules(List.of());
        assertThat(none.isEmpty()).isTrue();
        assertThat(none.evaluate(request().build())).isEqualTo(Decision.noRuleMatched());
        assertThat(none.evaluateBeforeResolution(request().name("example.com").build()))
                .contains(Decision.noRuleMatched());
        assertThat(new AccessRules(List.of(ALLOW_ALL)).isEmpty()).isFalse();
    }

    @Test
    void aNameIsJudgedOnEachResolvedAddress() {
        AccessRules rules = new AccessRules(List.of(DENY_INTERNAL, ALLOW_ALL));
        AccessRequest byName = request().name("intranet.test").build();
        assertThat(rules.evaluate(byName.withDestinationAddress(ip("10.0.0.5"))).allowed()).isFalse();
        assertThat(rules.evaluate(byName.withDestinationAddress(ip("192.0.2.5"))).allowed()).isTrue();
        // documented: while unresolved, a rule with destinationNetworks does not match
        assertThat(rules.evaluate(byName).rule()).isSameAs(ALLOW_ALL);
    }

    @Test
    void beforeResolutionANameOnlyRuleDecidesEarly() {
        AccessRules rules = new AccessRules(List.of(ALLOW_EXAMPLE, DENY_INTERNAL, ALLOW_ALL));
        // A client off loopback waits for the address even when allowed: the egress guard checks it.
        assertThat(rules.evaluateBeforeResolution(request().name("www.example.com").build())).isEmpty();
        Optional<Decision> early = rules.evaluateBeforeResolution(request().client("127.0.0.1").name("www.example.com")
                .build());
        assertThat(early).isPresent();
        assertThat(early.get().allowed()).isTrue();
        assertThat(early.get().rule()).isSameAs(ALLOW_EXAMPLE);

        Rule denyTracker = Rule.builder("no-tracker", Action.DENY)
                .destinationNames(DomainPattern.parse("tracker.test")).build();
        assertThat(new AccessRules(List.of(denyTracker, ALLOW_ALL))
                .evaluateBeforeResolution(request().name("TRACKER.test.").build()))
                .contains(Decision.byRule(denyTracker));
    }

    @Test
    void beforeResolutionAnAddressRuleThatMayMatchLeavesItUndecided() {
        AccessRules rules = new AccessRules(List.of(ALLOW_EXAMPLE, DENY_INTERNAL, ALLOW_ALL));
        // not under example.com: the next rule needs the address the name resolves to
        assertThat(rules.evaluateBeforeResolution(request().name("intranet.test").build())).isEmpty();
    }

    @Test
    void beforeResolutionRulesThatCannotMatchOnTheKnownFieldsAreSkipped() {
        Rule denyInternalForBind = Rule.builder("bind-internal", Action.DENY).commands(Command.BIND)
                .destinationNetworks(Cidr.parse("10.0.0.0/8")).build();
        Rule denyInternalFromGuests = Rule.builder("guests-internal", Action.DENY).clients(Cidr.parse("192.168.0.0/16"))
                .destinationNetworks(Cidr.parse("10.0.0.0/8")).build();
        Rule denyInternalByName = Rule.builder("corp-internal", Action.DENY)
                .destinationNames(DomainPattern.parse("*.corp.test")).destinationNetworks(Cidr.parse("10.0.0.0/8"))
                .build();
        AccessRules rules = new AccessRules(
                List.of(denyInternalForBind, denyInternalFromGuests, denyInternalByName, DENY_SMTP, ALLOW_ALL));

        // CONNECT from 203.0.113.7 to www.example.net:443: none of the address rules can apply, and
        // the allow waits for the address only for the egress guard (a loopback client is not guarded)
        assertThat(rules.evaluateBeforeResolution(request().name("www.example.net").build())).isEmpty();
        Optional<Decision> decision = rules.evaluateBeforeResolution(request().client("::1").name("www.example.net")
                .build());
        assertThat(decision).isPresent();
        assertThat(decision.get().rule()).isSameAs(ALLOW_ALL);
        assertThat(rules.evaluateBeforeResolution(request().name("www.example.net").port(25).build()))
                .contains(Decision.byRule(DENY_SMTP));

        // each address rule, once its known fields match, leaves the answer to the address
        assertThat(rules.evaluateBeforeResolution(request().command(Command.BIND).name("www.example.net").build()))
                .isEmpty();
        assertThat(rules.evaluateBeforeResolution(request().client("192.168.1.1").name("www.example.net").build()))
                .isEmpty();
        assertThat(rules.evaluateBeforeResolution(request().name("git.corp.test").build())).isEmpty();
    }

    @Test
    void beforeResolutionNoPossibleMatchIsADenial() {
        AccessRules rules = new AccessRules(List.of(ALLOW_EXAMPLE));
        assertThat(rules.evaluateBeforeResolution(request().name("example.net").build()))
                .contains(Decision.noRuleMatched());
    }

    @Test
    void beforeResolutionARequestWithAnAddressIsSimplyEvaluated() {
        AccessRules rules = new AccessRules(List.of(DENY_INTERNAL, ALLOW_ALL));
        assertThat(rules.evaluateBeforeResolution(request().address("10.0.0.1").build()))
                .contains(Decision.byRule(DENY_INTERNAL));
        assertThat(rules.evaluateBeforeResolution(request().name("x.test").address("192.0.2.1").build()))
                .contains(Decision.byRule(ALLOW_ALL));
    }

    @Test
    void restrictsClientsOnlyWhenEveryAllowingRuleIsLimitedToClientNetworks() {
        Rule allowOffice = Rule.builder("office", Action.ALLOW).clients(Cidr.parse("192.0.2.0/24")).build();
        Rule denyGuests = Rule.builder("guests", Action.DENY).clients(Cidr.parse("192.0.2.128/25")).build();
        Rule allowEveryIpv4 = Rule.builder("v4", Action.ALLOW).clients(Cidr.parse("0.0.0.0/0")).build();
        Rule allowEveryIpv6 = Rule.builder("v6", Action.ALLOW).clients(Cidr.parse("::/0")).build();
        Rule allowAlice = Rule.builder("alice", Action.ALLOW).users("alice").build();

        assertThat(new AccessRules(List.of()).restrictsClients()).as("denies everyone").isTrue();
        assertThat(new AccessRules(List.of(allowOffice)).restrictsClients()).isTrue();
        assertThat(new AccessRules(List.of(denyGuests, allowOffice)).restrictsClients()).isTrue();
        assertThat(new AccessRules(List.of(allowOffice, DENY_SMTP)).restrictsClients()).isTrue();

        assertThat(new AccessRules(List.of(denyGuests, ALLOW_ALL)).restrictsClients())
                .as("a deny rule with clients leaves everyone else in").isFalse();
        assertThat(new AccessRules(List.of(allowOffice, ALLOW_ALL)).restrictsClients()).isFalse();
        assertThat(new AccessRules(List.of(allowEveryIpv4)).restrictsClients()).isFalse();
        assertThat(new AccessRules(List.of(allowOffice, allowEveryIpv6)).restrictsClients()).isFalse();
        assertThat(new AccessRules(List.of(allowAlice)).restrictsClients())
                .as("a user name is no restriction without authentication").isFalse();
        assertThat(AccessRules.safeDefaults().restrictsClients()).as("the defaults let anyone out").isFalse();
    }

    @Test
    void holdsAnImmutableCopyOfTheRules() {
        List<Rule> list = new ArrayList<>(List.of(DENY_SMTP));
        AccessRules rules = new AccessRules(list);
        list.add(ALLOW_ALL);
        assertThat(rules.rules()).containsExactly(DENY_SMTP);
        assertThatThrownBy(() -> rules.rules().add(ALLOW_ALL)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(rules.evaluate(request().port(80).build()).allowed()).isFalse();
    }

    @Test
    void aDecisionIsConsistentWithItsRule() {
        assertThat(Decision.byRule(ALLOW_ALL)).isEqualTo(new Decision(Action.ALLOW, ALLOW_ALL, "rules[3] (allow)"));
        assertThat(Decision.byRule(DENY_SMTP).allowed()).isFalse();
        assertThatThrownBy(() -> new Decision(Action.ALLOW, null, "?"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("only a rule can allow; with no rule the action is DENY");
        assertThatThrownBy(() -> new Decision(Action.ALLOW, DENY_SMTP, "?"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rule rules[2] says deny, not allow");
    }
}
