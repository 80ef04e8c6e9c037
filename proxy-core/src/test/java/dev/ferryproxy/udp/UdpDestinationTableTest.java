package dev.ferryproxy.udp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.policy.AccessRequest;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Action;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.policy.Command;
import dev.ferryproxy.policy.DomainPattern;
import dev.ferryproxy.policy.PortRange;
import dev.ferryproxy.policy.Rule;
import dev.ferryproxy.resolve.NameResolver;
import dev.ferryproxy.udp.UdpDestinationTable.Destination;
import dev.ferryproxy.udp.UdpDestinationTable.State;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The destination decisions of one association, with a resolver the test answers by hand. */
class UdpDestinationTableTest {
    private static final InetAddress CLIENT = ip("127.0.0.1");
    private static final AccessRequest TEMPLATE = new AccessRequest(CLIENT, "alice", 5, Command.UDP_ASSOCIATE, null,
            ip("0.0.0.0"), 0);
    private static final long NOW = 1_000_000_000_000L;

    private final ManualResolver resolver = new ManualResolver();
    private final List<Destination> settled = new ArrayList<>();

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal); // literals only: never DNS
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private UdpDestinationTable table(int maxDestinations, boolean ipv6, Rule... rules) {
        UdpDestinationTable table = new UdpDestinationTable(TEMPLATE, new AccessRules(List.of(rules)), resolver, null,
                maxDestinations, ipv6, "test client");
        table.setListener(settled::add);
        return table;
    }

    private static Rule allow() {
        return Rule.builder("allow", Action.ALLOW).build();
    }

    private static SocksAddress at(String literal, int port) {
        return SocksAddress.of(new InetSocketAddress(ip(literal), port));
    }

    @Test
    void anAddressIsDecidedAtOnceAndKept() {
        UdpDestinationTable table = table(10, true,
                Rule.builder("no dns", Action.DENY).destinationPorts(List.of(PortRange.of(53, 53))).build(), allow());
        Destination allowed = table.lookup(at("192.0.2.1", 443), NOW);
        assertThat(allowed.state()).isEqualTo(State.ALLOWED);
        assertThat(allowed.target().address()).isEqualTo(new InetSocketAddress(ip("192.0.2.1"), 443));
        Destination denied = table.lookup(at("192.0.2.1", 53), NOW);
        assertThat(denied.state()).isEqualTo(State.DENIED);
        assertThat(denied.dropReason()).isEqualTo(UdpDrop.DENIED);
        assertThat(table.lookup(at("192.0.2.1", 443), NOW)).isSameAs(allowed);
        assertThat(table.size()).isEqualTo(2);
        assertThat(resolver.asked).isEmpty();
    }

    @Test
    void rulesSeeTheClientTheUserAndTheUdpCommand() {
        UdpDestinationTable table = table(10, true,
                Rule.builder("alice's udp", Action.ALLOW).clients(Cidr.parse("127.0.0.0/8")).users(Set.of("alice"))
                        .commands(Set.of(Command.UDP_ASSOCIATE)).build());
        assertThat(table.lookup(at("192.0.2.1", 443), NOW).state()).isEqualTo(State.ALLOWED);
    }

    @Test
    void aNumericNameIsTheAddressItSpells() {
        UdpDestinationTable table = table(10, true,
                Rule.builder("no loopback", Action.DENY).destinationNetworks(Cidr.parse("127.0.0.0/8")).build(),
                allow());
        assertThat(table.lookup(SocksAddress.domain("127.1", 7), NOW).state()).isEqualTo(State.DENIED);
        assertThat(resolver.asked).isEmpty();
    }

    @Test
    void aNameDeniedByNameIsNeverResolved() {
        UdpDestinationTable table = table(10, true,
                Rule.builder("blocked", Action.DENY).destinationNames(List.of(DomainPattern.parse("*.blocked.test")))
                        .build(), allow());
        assertThat(table.lookup(SocksAddress.domain("www.blocked.test", 53), NOW).state()).isEqualTo(State.DENIED);
        assertThat(resolver.asked).isEmpty();
    }

    @Test
    void aNameGoesToTheFirstAddressTheRulesAllowAndTheRelayReaches() {
        UdpDestinationTable table = table(10, false,
                Rule.builder("inside", Action.DENY).destinationNetworks(Cidr.parse("10.0.0.0/8")).build(), allow());
        Destination destination = table.lookup(SocksAddress.domain("multi.test", 53), NOW);
        assertThat(destination.state()).isEqualTo(State.RESOLVING);
        assertThat(settled).isEmpty();
        resolver.answer("multi.test", ip("2001:db8::1"), ip("10.0.0.1"), ip("192.0.2.9"));
        assertThat(settled).containsExactly(destination);
        assertThat(destination.state()).isEqualTo(State.ALLOWED);
        assertThat(destination.target().address()).as("IPv6 unreachable, 10/8 denied")
                .isEqualTo(new InetSocketAddress(ip("192.0.2.9"), 53));
        assertThat(table.lookup(SocksAddress.domain("multi.test", 53), NOW)).isSameAs(destination);
        assertThat(resolver.asked).containsExactly("multi.test");
    }

    @Test
    void aNameWithOnlyDeniedOrUnreachableAddressesIsDroppedForThatReason() {
        UdpDestinationTable table = table(10, false,
                Rule.builder("inside", Action.DENY).destinationNetworks(Cidr.parse("10.0.0.0/8")).build(), allow());
        Destination denied = table.lookup(SocksAddress.domain("inside.test", 53), NOW);
        Destination unreachable = table.lookup(SocksAddress.domain("six.test", 53), NOW);
        resolver.answer("inside.test", ip("2001:db8::1"), ip("10.0.0.1"));
        resolver.answer("six.test", ip("2001:db8::1"));
        assertThat(denied.dropReason()).isEqualTo(UdpDrop.DENIED);
        assertThat(unreachable.dropReason()).isEqualTo(UdpDrop.UNREACHABLE);
    }

    @Test
    void anIpv4MappedDestinationIsSentToAsIpv4() {
        UdpDestinationTable table = table(10, false, allow());
        Destination destination = table.lookup(
                SocksAddress.ipv6(UdpAddressesTest.mapped(192, 0, 2, 1).getAddress(), 9), NOW);
        assertThat(destination.state()).as("reachable from an IPv4 relay").isEqualTo(State.ALLOWED);
        assertThat(destination.target().address()).isEqualTo(new InetSocketAddress(ip("192.0.2.1"), 9));
    }

    @Test
    void portZeroAndIpv6FromAnIpv4RelayAreUnreachable() {
        UdpDestinationTable table = table(10, false, allow());
        assertThat(table.lookup(at("192.0.2.1", 0), NOW).dropReason()).isEqualTo(UdpDrop.UNREACHABLE);
        assertThat(table.lookup(at("2001:db8::1", 53), NOW).dropReason()).isEqualTo(UdpDrop.UNREACHABLE);
    }

    @Test
    void aNameThatDidNotResolveIsAskedAgainAfterAWhile() {
        UdpDestinationTable table = table(10, true, allow());
        Destination destination = table.lookup(SocksAddress.domain("flaky.test", 53), NOW);
        resolver.fail("flaky.test");
        assertThat(destination.dropReason()).isEqualTo(UdpDrop.UNRESOLVED);
        long failedAt = System.nanoTime();
        assertThat(table.lookup(SocksAddress.domain("flaky.test", 53), failedAt).state()).isEqualTo(State.UNRESOLVED);
        assertThat(table.lookup(SocksAddress.domain("flaky.test", 53),
                failedAt + UdpDestinationTable.UNRESOLVED_RETRY_NANOS).state()).isEqualTo(State.RESOLVING);
        resolver.answer("flaky.test", ip("192.0.2.3"));
        assertThat(destination.state()).isEqualTo(State.ALLOWED);
        assertThat(table.size()).isEqualTo(1);
    }

    @Test
    void newDestinationsBeyondTheLimitGetNoEntry() {
        UdpDestinationTable table = table(2, true,
                Rule.builder("no dns", Action.DENY).destinationPorts(List.of(PortRange.of(53, 53))).build(), allow());
        assertThat(table.lookup(at("192.0.2.1", 53), NOW)).isNotNull();
        assertThat(table.lookup(at("192.0.2.1", 54), NOW)).isNotNull();
        assertThat(table.lookup(at("192.0.2.1", 55), NOW)).as("a third destination").isNull();
        assertThat(table.lookup(at("192.0.2.1", 54), NOW)).as("a known one").isNotNull();
    }

    @Test
    void onlyAddressesTheClientSentToMayAnswer() {
        UdpDestinationTable table = table(10, true, allow());
        Destination destination = table.lookup(SocksAddress.domain("echo.test", 7), NOW);
        resolver.answer("echo.test", ip("192.0.2.5"));
        InetSocketAddress echo = new InetSocketAddress(ip("192.0.2.5"), 7);
        assertThat(table.hasSentTo(echo)).as("allowed, but nothing sent yet").isFalse();
        table.markSentTo(destination);
        assertThat(table.hasSentTo(echo)).isTrue();
        assertThat(table.hasSentTo(new InetSocketAddress(ip("192.0.2.5"), 8))).isFalse();
    }

    @Test
    void answersAfterCloseAreIgnored() {
        UdpDestinationTable table = table(10, true, allow());
        Destination destination = table.lookup(SocksAddress.domain("late.test", 53), NOW);
        table.close();
        resolver.answer("late.test", ip("192.0.2.3"));
        assertThat(settled).isEmpty();
        assertThat(destination.state()).isEqualTo(State.RESOLVING);
    }

    /** Answers each name when the test says so, on the calling thread. */
    private static final class ManualResolver implements NameResolver {
        final List<String> asked = new ArrayList<>();
        final Map<String, Promise<List<InetAddress>>> pending = new HashMap<>();

        @Override
        public Future<List<InetAddress>> resolveAll(String host, EventLoop loop) {
            asked.add(host);
            Promise<List<InetAddress>> promise = ImmediateEventExecutor.INSTANCE.newPromise();
            pending.put(host, promise);
            return promise;
        }

        void answer(String host, InetAddress... addresses) {
            pending.remove(host).setSuccess(List.of(addresses));
        }

        void fail(String host) {
            pending.remove(host).setFailure(new UnknownHostException(host));
        }

        @Override
        public void close() {
        }
    }
}
