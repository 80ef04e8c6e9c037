package dev.ferryproxy.policy;

import static dev.ferryproxy.policy.TestRequests.ip;
import static dev.ferryproxy.policy.TestRequests.mappedIpv6;
import static dev.ferryproxy.policy.TestRequests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RuleTest {
    private static Rule.Builder allow() {
        return Rule.builder("r", Action.ALLOW);
    }

    @Test
    void aRuleWithoutConditionsMatchesAnything() {
        Rule any = allow().build();
        assertThat(any.matches(request().build())).isTrue();
        assertThat(any.matches(request().name("example.com").build())).as("unresolved name").isTrue();
        assertThat(any.matches(request().version(4).command(Command.BIND).user("bob").port(0).build())).isTrue();
        assertThat(any.matches(request().client("::1").address("fe80::1").command(Command.UDP_ASSOCIATE).build()))
                .isTrue();
        assertThat(any.needsDestinationAddress()).isFalse();
    }

    @Test
    void clientsMatchTheClientAddress() {
        Rule rule = allow().clients(Cidr.parse("10.0.0.0/8"), Cidr.parse("2001:db8::/32")).build();
        assertThat(rule.matches(request().client("10.1.2.3").build())).isTrue();
        assertThat(rule.matches(request().client("2001:db8::5").build())).isTrue();
        assertThat(rule.matches(request().client(mappedIpv6("10.9.9.9")).build())).as("IPv4-mapped client").isTrue();
        assertThat(rule.matches(request().client("11.0.0.1").build())).isFalse();
        assertThat(rule.matches(request().client("2001:db9::5").build())).isFalse();
        assertThat(rule.matches(request().client("10.1.2.3").address("11.0.0.1").build()))
                .as("the destination is not the client").isTrue();
        assertThat(rule.matches(request().client("11.0.0.1").address("10.1.2.3").build())).isFalse();
    }

    @Test
    void usersMatchExactlyAndCaseSensitively() {
        Rule rule = allow().users("alice", "bob").build();
        assertThat(rule.matches(request().user("alice").build())).isTrue();
        assertThat(rule.matches(request().user("bob").build())).isTrue();
        assertThat(rule.matches(request().user("Alice").build())).isFalse();
        assertThat(rule.matches(request().user("alice ").build())).isFalse();
        assertThat(rule.matches(request().user("al").build())).isFalse();
        assertThat(rule.matches(request().user("").build())).isFalse();
        assertThat(rule.matches(request().user(null).build())).as("no user at all").isFalse();
    }

    @Test
    void aSocks4UseridMatchesUsersOnlyInARuleThatNamesVersion4() {
        Rule anyVersion = allow().users("alice").build();
        assertThat(anyVersion.matches(request().version(5).user("alice").build())).as("RFC 1929 login").isTrue();
        assertThat(anyVersion.matches(request().version(4).user("alice").build()))
                .as("a USERID carries no password: not trusted unless the rule names SOCKS4").isFalse();

        Rule socks4 = allow().users("alice").socksVersions(4).build();
        assertThat(socks4.matches(request().version(4).user("alice").build())).isTrue();

        Rule both = allow().users("alice").socksVersions(4, 5).build();
        assertThat(both.matches(request().version(4).user("alice").build())).isTrue();
        assertThat(both.matches(request().version(5).user("alice").build())).isTrue();
    }

    @Test
    void socksVersionsMatchTheVersion() {
        Rule socks4 = allow().socksVersions(4).build();
        assertThat(socks4.matches(request().version(4).build())).isTrue();
        assertThat(socks4.matches(request().version(4).name("example.com").build())).as("SOCKS4a is 4").isTrue();
        assertThat(socks4.matches(request().version(5).build())).isFalse();
        assertThat(allow().socksVersions(4, 5).build().matches(request().version(5).build())).isTrue();
    }

    @Test
    void commandsMatchTheCommand() {
        Rule rule = allow().commands(Command.BIND, Command.UDP_ASSOCIATE).build();
        assertThat(rule.matches(request().command(Command.BIND).build())).isTrue();
        assertThat(rule.matches(request().command(Command.UDP_ASSOCIATE).build())).isTrue();
        assertThat(rule.matches(request().command(Command.CONNECT).build())).isFalse();
    }

    @Test
    void destinationNetworksMatchTheDestinationAddress() {
        Rule rule = allow().destinationNetworks(Cidr.parse("192.0.2.0/24"), Cidr.parse("2001:db8::/32")).build();
        assertThat(rule.needsDestinationAddress()).isTrue();
        assertThat(rule.matches(request().address("192.0.2.77").build())).isTrue();
        assertThat(rule.matches(request().address("2001:db8::77").build())).isTrue();
        assertThat(rule.matches(request().address(mappedIpv6("192.0.2.77")).build())).as("IPv4-mapped").isTrue();
        assertThat(rule.matches(request().address("192.0.3.1").build())).isFalse();
        assertThat(rule.matches(request().client("192.0.2.77").address("198.51.100.1").build()))
                .as("the client is not the destination").isFalse();
    }

    @Test
    void destinationNetworksMatchANameOnlyOnceResolved() {
        Rule rule = allow().destinationNetworks(Cidr.parse("192.0.2.0/24")).build();
        AccessRequest byName = request().name("example.com").build();
        assertThat(rule.matches(byName)).as("unresolved: the address is unknown").isFalse();
        assertThat(rule.matches(byName.withDestinationAddress(ip("192.0.2.10")))).isTrue();
        assertThat(rule.matches(byName.withDestinationAddress(ip("198.51.100.1")))).isFalse();
    }

    @Test
    void destinationNamesMatchOnlyRequestsByName() {
        Rule rule = allow().destinationNames(DomainPattern.parse("example.com"), DomainPattern.parse("*.example.org"))
                .build();
        assertThat(rule.needsDestinationAddress()).isFalse();
        assertThat(rule.matches(request().name("example.com").build())).isTrue();
        assertThat(rule.matches(request().name("EXAMPLE.com.").build())).isTrue();
        assertThat(rule.matches(request().name("www.example.org").build())).isTrue();
        assertThat(rule.matches(request().name("www.example.org").address("192.0.2.1").build()))
                .as("resolved: still the name decides").isTrue();
        assertThat(rule.matches(request().name("example.org").build())).isFalse();
        assertThat(rule.matches(request().name("www.example.com").build())).isFalse();

        Rule anyName = allow().destinationNames(DomainPattern.parse("*")).build();
        assertThat(anyName.matches(request().name("anything.test").build())).isTrue();
        assertThat(anyName.matches(request().address("93.184.216.34").build()))
                .as("a request by address has no name, even for '*'").isFalse();
    }

    @Test
    void destinationPortsMatchThePort() {
        Rule rule = allow().destinationPorts(PortRange.parse("443"), PortRange.parse("8000-8100")).build();
        assertThat(rule.matches(request().port(443).build())).isTrue();
        assertThat(rule.matches(request().port(8000).build())).isTrue();
        assertThat(rule.matches(request().port(8100).build())).isTrue();
        assertThat(rule.matches(request().port(80).build())).isFalse();
        assertThat(rule.matches(request().port(8101).build())).isFalse();
        assertThat(rule.matches(request().port(7999).build())).isFalse();
    }

    /** One rule with every condition, and a request that meets all of them. */
    private static Rule everyCondition() {
        return allow()
                .clients(Cidr.parse("10.0.0.0/8"))
                .users("alice")
                .socksVersions(5)
                .commands(Command.CONNECT)
                .destinationNetworks(Cidr.parse("192.0.2.0/24"))
                .destinationNames(DomainPattern.parse("*.example.com"))
                .destinationPorts(PortRange.parse("443"))
                .build();
    }

    private static TestRequests meetingEveryCondition() {
        return request().client("10.0.0.1").user("alice").version(5).command(Command.CONNECT)
                .name("www.example.com").address("192.0.2.1").port(443);
    }

    @Test
    void aRuleWithEveryConditionMatchesWhenAllHold() {
        assertThat(everyCondition().matches(meetingEveryCondition().build())).isTrue();
    }

    static Stream<Arguments> oneConditionBroken() {
        List<Arguments> cases = new ArrayList<>();
        cases.add(broken("client", r -> r.client("11.0.0.1")));
        cases.add(broken("user", r -> r.user("bob")));
        cases.add(broken("no user", r -> r.user(null)));
        cases.add(broken("version", r -> r.version(4)));
        cases.add(broken("command", r -> r.command(Command.BIND)));
        cases.add(broken("destination address", r -> r.address("198.51.100.1")));
        cases.add(broken("destination name", r -> r.name("www.example.net").address("192.0.2.1")));
        cases.add(broken("by address, no name", r -> r.name(null).address("192.0.2.1")));
        cases.add(broken("unresolved name", r -> r.name("www.example.com")));
        cases.add(broken("port", r -> r.port(80)));
        return cases.stream();
    }

    private static Arguments broken(String what, UnaryOperator<TestRequests> change) {
        return Arguments.of(what, change);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("oneConditionBroken")
    void aRuleWithEveryConditionFailsWhenAnyOneFails(String what, UnaryOperator<TestRequests> change) {
        assertThat(everyCondition().matches(change.apply(meetingEveryCondition()).build())).isFalse();
    }

    @Test
    void twoConditionsTogether() {
        Rule rule = allow().users("alice").destinationPorts(PortRange.parse("22")).build();
        assertThat(rule.matches(request().user("alice").port(22).build())).isTrue();
        assertThat(rule.matches(request().user("alice").port(23).build())).isFalse();
        assertThat(rule.matches(request().user("bob").port(22).build())).isFalse();
    }

    @Test
    void theBuilderCopiesAndEachSetterReplaces() {
        List<Cidr> clients = new ArrayList<>(List.of(Cidr.parse("10.0.0.0/8")));
        Rule.Builder builder = allow().clients(clients).users("alice").users("bob");
        clients.add(Cidr.parse("11.0.0.0/8"));
        Rule rule = builder.build();
        assertThat(rule.clients()).containsExactly(Cidr.parse("10.0.0.0/8"));
        assertThat(rule.users()).containsExactly("bob");
        assertThat(rule.name()).isEqualTo("r");
        assertThat(rule.action()).isEqualTo(Action.ALLOW);
        assertThatThrownBy(() -> rule.clients().add(Cidr.parse("12.0.0.0/8")))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> rule.commands().add(Command.BIND)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void theConstructorCopiesToo() {
        List<PortRange> ports = new ArrayList<>(List.of(PortRange.parse("80")));
        Rule rule = new Rule("r", Action.DENY, List.of(), Set.of(), Set.of(), Set.of(), List.of(), List.of(), ports, null);
        ports.add(PortRange.parse("443"));
        assertThat(rule.destinationPorts()).containsExactly(PortRange.parse("80"));
        assertThat(rule).isEqualTo(Rule.builder("r", Action.DENY).destinationPorts(PortRange.parse("80")).build());
    }

    @Test
    void keepsTheConfiguredOrderForLogs() {
        Rule rule = allow().users("zoe", "adam", "mia").socksVersions(5, 4).build();
        assertThat(rule.users()).containsExactly("zoe", "adam", "mia");
        assertThat(rule.socksVersions()).containsExactly(5, 4);
    }

    @Test
    void refusesConditionsThatCanNeverMatch() {
        assertThatThrownBy(() -> Rule.builder("rules[3]", Action.ALLOW).socksVersions(6).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rules[3]: SOCKS version 6 does not exist (expected: 4 or 5; SOCKS4a is 4)");
        assertThatThrownBy(() -> Rule.builder("rules[3]", Action.ALLOW).users("").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rules[3]: an empty user name can never be matched");
        assertThatThrownBy(() -> Rule.builder(null, Action.ALLOW)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Rule.builder("r", null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> allow().clients((Cidr) null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new Rule("r", Action.ALLOW, null, Set.of(), Set.of(), Set.of(), List.of(), List.of(),
                List.of(), null)).isInstanceOf(NullPointerException.class).hasMessage("clients");
    }

    @Test
    void onlyAnAllowingRuleRoutesThroughAnUpstream() {
        assertThat(allow().via("parent").build().via()).isEqualTo("parent");
        assertThat(allow().via("parent").build().routesViaUpstream()).isTrue();
        assertThat(allow().build().routesViaUpstream()).isFalse();
        assertThatThrownBy(() -> Rule.builder("r", Action.DENY).via("parent").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only a rule that allows");
        assertThatThrownBy(() -> allow().via(" ").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("upstream name is empty");
    }
}
