package dev.ferryproxy.policy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The destinations a client off the proxy's host must not reach through it, whatever the rules
 * allow, unless the rule that allows names the destination's network (or a narrower one inside it)
 * in {@code destinations}: the proxy's own host (loopback, "this host", its own addresses, so no
 * client reaches a port that listens only for the host, such as the admin listener), link-local
 * networks, the cloud metadata services, and multicast and broadcast. An allow rule without
 * {@code destinations}, or with a wider network ({@code 0.0.0.0/0}, {@code 10.0.0.0/8} around
 * the host's own address), is not explicit and does not open them.
 *
 * <p>Clients on loopback are not guarded: they are on the host already.
 */
public final class EgressGuard {
    /** The name of the guard's decisions: "default: destination on the proxy's host, ... (deny)". */
    public static final String NAME = "default: destination on the proxy's host, link-local, cloud metadata or multicast";

    /** Guarded on every host; each with why. */
    private static final List<Cidr> ALWAYS = List.of(
            Cidr.parse("127.0.0.0/8"),          // loopback
            Cidr.parse("0.0.0.0/8"),            // "this host": connecting to 0.0.0.0 reaches loopback
            Cidr.parse("::1/128"),              // loopback
            Cidr.parse("::/128"),               // unspecified: connecting to :: reaches loopback
            Cidr.parse("169.254.0.0/16"),       // link-local, incl. the metadata service of AWS, GCP, Azure, Oracle
            Cidr.parse("fe80::/10"),            // link-local
            Cidr.parse("fd00:ec2::254/128"),    // AWS instance metadata over IPv6
            Cidr.parse("100.100.100.200/32"),   // Alibaba Cloud metadata
            Cidr.parse("168.63.129.16/32"),     // Azure WireServer (host agent, DNS, health probes)
            Cidr.parse("224.0.0.0/4"),          // IPv4 multicast (UDP ASSOCIATE could reach every listener on the LAN)
            Cidr.parse("255.255.255.255/32"),   // limited broadcast
            Cidr.parse("ff00::/8"));            // IPv6 multicast
    private static final List<Cidr> LOOPBACK_CLIENTS = List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));
    private static final EgressGuard STANDARD = new EgressGuard(List.of());

    private final List<Cidr> hostAddresses;
    private final List<Cidr> networks;
    private final Decision denial;

    private EgressGuard(List<Cidr> hostAddresses) {
        this.hostAddresses = List.copyOf(hostAddresses);
        List<Cidr> all = new ArrayList<>(ALWAYS);
        all.addAll(this.hostAddresses);
        this.networks = List.copyOf(all);
        this.denial = Decision.byRule(Rule.builder(NAME, Action.DENY).destinationNetworks(networks).build());
    }

    /** The guard without the host's own addresses (which only the running server knows). */
    public static EgressGuard standard() {
        return STANDARD;
    }

    /** The guard with the host's own addresses added, each as a /32 or /128 (loopback ones are in already). */
    public static EgressGuard withHostAddresses(Collection<InetAddress> addresses) {
        Set<Cidr> own = new LinkedHashSet<>();
        for (InetAddress address : addresses) {
            Cidr single = Cidr.of(address, address.getAddress().length * 8);
            if (!coveredByAlways(single)) {
                own.add(single);
            }
        }
        return own.isEmpty() ? STANDARD : new EgressGuard(new ArrayList<>(own));
    }

    private static boolean coveredByAlways(Cidr single) {
        for (Cidr network : ALWAYS) {
            if (single.within(network)) {
                return true;
            }
        }
        return false;
    }

    /** Every guarded network, the host's own addresses last. */
    public List<Cidr> networks() {
        return networks;
    }

    /** The networks guarded on every host: {@link #networks()} without the host's own addresses. */
    public List<Cidr> standardNetworks() {
        return ALWAYS;
    }

    /** The host's own addresses the guard holds (empty for {@link #standard()}). */
    public List<Cidr> hostAddresses() {
        return hostAddresses;
    }

    /** Whether requests of this client (address bytes) are guarded: every client off loopback. */
    boolean guards(byte[] client) {
        return !anyContains(LOOPBACK_CLIENTS, client);
    }

    /**
     * The denial when {@code allowing}, the rule that allowed a guarded client, would let it reach
     * a guarded {@code destination} without naming that network; {@code null} when it may go.
     */
    Decision check(byte[] destination, Rule allowing) {
        for (int i = 0; i < networks.size(); i++) {
            Cidr guarded = networks.get(i);
            if (guarded.contains(destination) && !namesExplicitly(allowing, guarded, destination)) {
                return denial;
            }
        }
        return null;
    }

    /** Whether {@code rule} names a network inside {@code guarded} that holds {@code destination}. */
    private static boolean namesExplicitly(Rule rule, Cidr guarded, byte[] destination) {
        for (Cidr named : rule.destinationNetworks()) {
            if (named.contains(destination) && named.within(guarded)) {
                return true;
            }
        }
        return false;
    }

    /** The networks among {@code rules}' allow rules' destinations that open guarded ones, for --check-config. */
    public List<String> explicitOpenings(AccessRules rules) {
        List<String> openings = new ArrayList<>();
        for (Rule rule : rules.rules()) {
            if (rule.action() != Action.ALLOW) {
                continue;
            }
            for (Cidr named : rule.destinationNetworks()) {
                for (Cidr guarded : networks) {
                    if (named.within(guarded)) {
                        openings.add(rule.name() + " allows " + named);
                        break;
                    }
                }
            }
        }
        return openings;
    }

    private static boolean anyContains(List<Cidr> networks, byte[] address) {
        for (int i = 0; i < networks.size(); i++) {
            if (networks.get(i).contains(address)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "EgressGuard" + networks;
    }
}
