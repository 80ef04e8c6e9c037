package dev.ferryproxy.policy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One rule: an action and conditions; an empty condition list matches anything; all non-empty
 * conditions must match.
 *
 * <p>A condition with several entries matches when any entry does. {@code destinationNames} only
 * matches a request that named a name, and {@code destinationNetworks} only one whose
 * destination address is known: a rule with names never matches a request by address, and a rule
 * with networks never matches an unresolved name.
 *
 * @param name a label for logs, e.g. "rules[2]" or a user-given name; never null
 * @param action what the rule does with a request it matches
 * @param clients networks the client's address must be in
 * @param users user names, matched exactly and case-sensitively: the RFC 1929 login, or the
 *     SOCKS4 USERID, but the USERID only in rules that name SOCKS version 4 (it carries no
 *     password, so anyone can send any USERID; a rule must opt in to trusting it)
 * @param socksVersions 4 (SOCKS4 and SOCKS4a) and/or 5
 * @param commands the commands the rule is about
 * @param destinationNetworks networks the destination address must be in
 * @param destinationNames patterns the destination name must match
 * @param destinationPorts ports the destination port must be in
 * @param via the name of the upstream proxy route that requests this rule allows go through;
 *     {@code null} to go directly (only an allowing rule may name one)
 */
public record Rule(String name, Action action, List<Cidr> clients, Set<String> users, Set<Integer> socksVersions,
        Set<Command> commands, List<Cidr> destinationNetworks, List<DomainPattern> destinationNames,
        List<PortRange> destinationPorts, String via) {

    /** Checks the fields and makes every collection an unmodifiable copy. */
    public Rule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(action, "action");
        clients = List.copyOf(Objects.requireNonNull(clients, "clients"));
        users = orderedCopy(Objects.requireNonNull(users, "users"), "users");
        socksVersions = orderedCopy(Objects.requireNonNull(socksVersions, "socksVersions"), "socksVersions");
        Objects.requireNonNull(commands, "commands");
        // EnumSet.copyOf refuses an empty plain collection, and keeps enum order whatever the input's
        commands = Collections.unmodifiableSet(commands.isEmpty() ? EnumSet.noneOf(Command.class)
                : EnumSet.copyOf(commands));
        destinationNetworks = List.copyOf(Objects.requireNonNull(destinationNetworks, "destinationNetworks"));
        destinationNames = List.copyOf(Objects.requireNonNull(destinationNames, "destinationNames"));
        destinationPorts = List.copyOf(Objects.requireNonNull(destinationPorts, "destinationPorts"));
        if (via != null && (via.isBlank() || action != Action.ALLOW)) {
            throw new IllegalArgumentException(name + ": " + (via.isBlank() ? "the upstream name is empty"
                    : "only a rule that allows can route through an upstream ('via'), and this one says "
                            + action.configName()));
        }
        for (String user : users) {
            if (user.isEmpty()) {
                throw new IllegalArgumentException(name + ": an empty user name can never be matched");
            }
        }
        for (int version : socksVersions) {
            if (version != 4 && version != 5) {
                throw new IllegalArgumentException(name + ": SOCKS version " + version + " does not exist"
                        + " (expected: 4 or 5; SOCKS4a is 4)");
            }
        }
    }

    /** Set.copyOf would iterate in a random order; logs and toString should show the config's order. */
    private static <T> Set<T> orderedCopy(Collection<T> values, String field) {
        Set<T> copy = new LinkedHashSet<>();
        for (T value : values) {
            copy.add(Objects.requireNonNull(value, field + " holds null"));
        }
        return Collections.unmodifiableSet(copy);
    }

    /** A builder for a rule named {@code name} doing {@code action}; every condition starts empty. */
    public static Builder builder(String name, Action action) {
        return new Builder(name, action);
    }

    /** Whether what this rule allows goes through an upstream proxy. */
    public boolean routesViaUpstream() {
        return via != null;
    }

    /** True when destinationNetworks is non-empty: the rule can only be decided on a known address. */
    public boolean needsDestinationAddress() {
        return !destinationNetworks.isEmpty();
    }

    /** Whether every condition holds; destinationNetworks fail while the destination address is unknown. */
    public boolean matches(AccessRequest request) {
        return matches(request, request.client().getAddress(), bytesOf(request.destinationAddress()));
    }

    /**
     * {@link #matches(AccessRequest)} with the client's and the destination's address bytes
     * ({@code null} while unknown) taken once per request by the caller: InetAddress hands out a
     * new copy each time, and a request meets every network of every rule.
     */
    boolean matches(AccessRequest request, byte[] client, byte[] destination) {
        return matchesKnownFields(request, client) && matchesDestinationAddress(destination);
    }

    /** The address's bytes, or {@code null} for none. */
    static byte[] bytesOf(InetAddress address) {
        return address == null ? null : address.getAddress();
    }

    /** Whether the conditions on who asks hold (clients, users, versions, commands), whatever the destination. */
    boolean matchesRequester(AccessRequest request, byte[] client) {
        return (clients.isEmpty() || anyContains(clients, client))
                && (users.isEmpty() || matchesUser(request))
                && (socksVersions.isEmpty() || socksVersions.contains(request.socksVersion()))
                && (commands.isEmpty() || commands.contains(request.command()));
    }

    /** Whether the rule has any condition on the destination (networks, names or ports). */
    boolean hasDestinationConditions() {
        return !destinationNetworks.isEmpty() || !destinationNames.isEmpty() || !destinationPorts.isEmpty();
    }

    /** Whether every condition except destinationNetworks holds: all that can be said before resolving. */
    boolean matchesKnownFields(AccessRequest request, byte[] client) {
        return matchesRequester(request, client)
                && (destinationNames.isEmpty() || anyMatches(destinationNames, request.destinationName()))
                && (destinationPorts.isEmpty() || anyContains(destinationPorts, request.destinationPort()));
    }

    private boolean matchesUser(AccessRequest request) {
        if (request.user() == null || !users.contains(request.user())) {
            return false;
        }
        // A SOCKS4 USERID is whatever the client typed; only a rule that names version 4 trusts it.
        return request.socksVersion() == 5 || socksVersions.contains(4);
    }

    private boolean matchesDestinationAddress(byte[] address) {
        return destinationNetworks.isEmpty() || (address != null && anyContains(destinationNetworks, address));
    }

    // Plain loops rather than a lambda over the request: this runs for every rule of every request.
    private static boolean anyContains(List<Cidr> networks, byte[] address) {
        for (int i = 0; i < networks.size(); i++) {
            if (networks.get(i).contains(address)) {
                return true;
            }
        }
        return false;
    }

    private static boolean anyMatches(List<DomainPattern> patterns, String name) {
        if (name == null) {
            return false;
        }
        for (int i = 0; i < patterns.size(); i++) {
            if (patterns.get(i).matches(name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean anyContains(List<PortRange> ranges, int port) {
        for (int i = 0; i < ranges.size(); i++) {
            if (ranges.get(i).contains(port)) {
                return true;
            }
        }
        return false;
    }

    /** Builds a {@link Rule}; each setter replaces that condition; unset conditions stay empty (match anything). */
    public static final class Builder {
        private final String name;
        private final Action action;
        private List<Cidr> clients = List.of();
        private Set<String> users = Set.of();
        private Set<Integer> socksVersions = Set.of();
        private Set<Command> commands = Set.of();
        private List<Cidr> destinationNetworks = List.of();
        private List<DomainPattern> destinationNames = List.of();
        private List<PortRange> destinationPorts = List.of();
        private String via;

        private Builder(String name, Action action) {
            this.name = Objects.requireNonNull(name, "name");
            this.action = Objects.requireNonNull(action, "action");
        }

        /** Sets the networks the client's address must be in. */
        public Builder clients(Cidr... networks) {
            return clients(List.of(networks));
        }

        /** Sets the networks the client's address must be in. */
        public Builder clients(Collection<Cidr> networks) {
            this.clients = new ArrayList<>(networks);
            return this;
        }

        /** Sets the user names, matched exactly and case-sensitively. */
        public Builder users(String... names) {
            return users(List.of(names));
        }

        /** Sets the user names, matched exactly and case-sensitively. */
        public Builder users(Collection<String> names) {
            this.users = new LinkedHashSet<>(names);
            return this;
        }

        /** Sets the SOCKS versions: 4 (SOCKS4 and SOCKS4a) and/or 5. */
        public Builder socksVersions(Integer... versions) {
            return socksVersions(List.of(versions));
        }

        /** Sets the SOCKS versions: 4 (SOCKS4 and SOCKS4a) and/or 5. */
        public Builder socksVersions(Collection<Integer> versions) {
            this.socksVersions = new LinkedHashSet<>(versions);
            return this;
        }

        /** Sets the commands. */
        public Builder commands(Command... commands) {
            return commands(List.of(commands));
        }

        /** Sets the commands. */
        public Builder commands(Collection<Command> commands) {
            this.commands = new LinkedHashSet<>(commands);
            return this;
        }

        /** Sets the networks the destination address must be in (the rule then needs the address). */
        public Builder destinationNetworks(Cidr... networks) {
            return destinationNetworks(List.of(networks));
        }

        /** Sets the networks the destination address must be in (the rule then needs the address). */
        public Builder destinationNetworks(Collection<Cidr> networks) {
            this.destinationNetworks = new ArrayList<>(networks);
            return this;
        }

        /** Sets the patterns the destination name must match (requests by address never match them). */
        public Builder destinationNames(DomainPattern... patterns) {
            return destinationNames(List.of(patterns));
        }

        /** Sets the patterns the destination name must match (requests by address never match them). */
        public Builder destinationNames(Collection<DomainPattern> patterns) {
            this.destinationNames = new ArrayList<>(patterns);
            return this;
        }

        /** Sets the destination ports. */
        public Builder destinationPorts(PortRange... ranges) {
            return destinationPorts(List.of(ranges));
        }

        /** Sets the destination ports. */
        public Builder destinationPorts(Collection<PortRange> ranges) {
            this.destinationPorts = new ArrayList<>(ranges);
            return this;
        }

        /** Routes what the rule allows through the named upstream; null to go directly. */
        public Builder via(String upstream) {
            this.via = upstream;
            return this;
        }

        /** The rule. */
        public Rule build() {
            return new Rule(name, action, clients, users, socksVersions, commands, destinationNetworks,
                    destinationNames, destinationPorts, via);
        }
    }
}
