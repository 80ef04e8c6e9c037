package dev.ferryproxy.policy;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An ordered rule list, first match wins; no match is a denial. Behind the rules stands an
 * {@link EgressGuard}: an allowed request of a client off loopback for one of the guarded
 * destinations (the proxy's host, link-local, cloud metadata, multicast) is still denied unless
 * the allowing rule names that network.
 */
public final class AccessRules {
    /** Name of the default rule that lets loopback clients go anywhere. */
    public static final String DEFAULT_LOOPBACK_CLIENTS = "default: client on the proxy's host";
    /** Name of the guard's decisions, which keep other clients off the proxy's host ({@link EgressGuard}). */
    public static final String DEFAULT_LOCAL_DESTINATIONS = EgressGuard.NAME;
    /** Name of the default rule that allows everything else. */
    public static final String DEFAULT_EVERYTHING_ELSE = "default: any other destination";

    private final List<Rule> rules;
    /**
     * Each rule's decision, made once: a decision is immutable and its reason names the rule, so
     * building it (and its reason string) per request would only make garbage.
     */
    private final Decision[] decisions;
    private final EgressGuard guard;
    /**
     * {@link #safeDefaults()} behind this guard, made on first use by {@link #orSafeDefaults()}.
     * A race makes two equal ones at worst; every field of one is final, so it is safely shared.
     */
    private AccessRules safeDefaultsWithThisGuard;

    /** The rules, in the order they are tried, with the {@link EgressGuard#standard() standard guard}. */
    public AccessRules(List<Rule> rules) {
        this(rules, EgressGuard.standard());
    }

    /** The rules, in the order they are tried, with {@code guard} behind them. */
    public AccessRules(List<Rule> rules, EgressGuard guard) {
        this.guard = Objects.requireNonNull(guard, "guard");
        this.rules = List.copyOf(Objects.requireNonNull(rules, "rules"));
        this.decisions = new Decision[this.rules.size()];
        for (int i = 0; i < decisions.length; i++) {
            decisions[i] = Decision.byRule(this.rules.get(i));
        }
    }

    /** The rules, in the order they are tried (unmodifiable). */
    public List<Rule> rules() {
        return rules;
    }

    /** The guard behind the rules. */
    public EgressGuard guard() {
        return guard;
    }

    /** These rules with {@code other} guard behind them. */
    public AccessRules withGuard(EgressGuard other) {
        return other == guard ? this : new AccessRules(rules, other);
    }

    /** These rules, or, when there are none, the {@link #safeDefaults()} with this guard behind them. */
    public AccessRules orSafeDefaults() {
        if (!rules.isEmpty()) {
            return this;
        }
        AccessRules defaults = safeDefaultsWithThisGuard;
        if (defaults == null) {
            defaults = safeDefaults().withGuard(guard);
            safeDefaultsWithThisGuard = defaults;
        }
        return defaults;
    }

    /** Whether there are no rules (then every request is denied). */
    public boolean isEmpty() {
        return rules.isEmpty();
    }

    /**
     * Full evaluation: the request's destinationAddress must be set when the request names an
     * address; for a name request, rules with destinationNetworks need destinationAddress (set it to
     * each resolved address in turn). While destinationAddress is null, a rule with
     * destinationNetworks does not match.
     */
    public Decision evaluate(AccessRequest request) {
        Objects.requireNonNull(request, "request");
        byte[] client = request.client().getAddress();
        byte[] destination = Rule.bytesOf(request.destinationAddress());
        for (int i = 0; i < decisions.length; i++) {
            if (rules.get(i).matches(request, client, destination)) {
                return guarded(decisions[i], client, destination);
            }
        }
        return Decision.noRuleMatched();
    }

    /** {@code decided}, or the guard's denial when it allowed a guarded client a guarded destination. */
    private Decision guarded(Decision decided, byte[] client, byte[] destination) {
        if (!decided.allowed() || destination == null || !guard.guards(client)) {
            return decided;
        }
        Decision denial = guard.check(destination, decided.rule());
        return denial != null ? denial : decided;
    }

    /**
     * Before a name is resolved (destinationAddress null): walks the rules in order; a rule that
     * cannot match on the known fields is skipped; the first rule that matches on them and needs no
     * address decides (returned); a rule that would match on the known fields but needs the address
     * makes the answer undecided: returns Optional.empty() (the caller resolves, then calls evaluate
     * per address). A request whose address is already set is simply evaluated.
     */
    public Optional<Decision> evaluateBeforeResolution(AccessRequest request) {
        Objects.requireNonNull(request, "request");
        if (request.destinationAddress() != null) {
            return Optional.of(evaluate(request));
        }
        byte[] client = request.client().getAddress();
        for (int i = 0; i < decisions.length; i++) {
            Rule rule = rules.get(i);
            if (!rule.matchesKnownFields(request, client)) {
                continue;
            }
            if (rule.needsDestinationAddress()) {
                // whether this rule or a later one decides depends on the address the name resolves to
                return Optional.empty();
            }
            if (decisions[i].allowed() && guard.guards(client)) {
                // the name may resolve to a guarded address (DNS rebinding): decided per address
                return Optional.empty();
            }
            return Optional.of(decisions[i]);
        }
        return Optional.of(Decision.noRuleMatched());
    }

    /**
     * For a command that opens a port before it knows its destinations (UDP ASSOCIATE): the denial
     * when no destination at all could be allowed to this requester (client, user, version,
     * command), so that no port is opened for a client the rules refuse; empty when some could be
     * (each destination is then decided on its own). Walks the rules in order: a rule that does
     * not match the requester is skipped; one without destination conditions decides; an allow
     * with destination conditions may allow some destination; a deny with them may not cover all.
     * Only the request's requester fields are read: its destination is not one.
     */
    public Optional<Decision> denialForEveryDestination(AccessRequest request) {
        byte[] client = request.client().getAddress();
        for (int i = 0; i < decisions.length; i++) {
            Rule rule = rules.get(i);
            if (!rule.matchesRequester(request, client)) {
                continue;
            }
            if (!rule.hasDestinationConditions()) {
                return decisions[i].allowed() ? Optional.empty() : Optional.of(decisions[i]);
            }
            if (rule.action() == Action.ALLOW) {
                return Optional.empty();
            }
        }
        return Optional.of(Decision.noRuleMatched());
    }

    /**
     * The defaults used when no rules are configured: clients on loopback (127.0.0.0/8, ::1) may go
     * anywhere; every other client may go anywhere the {@link EgressGuard} lets it (not the proxy's
     * host, link-local, cloud metadata or multicast, in IPv4-mapped form neither, by Cidr's
     * mapping). Expressed as ordinary Rules named "default: ..." so decisions name them.
     */
    public static AccessRules safeDefaults() {
        return DefaultRules.RULES;
    }

    /**
     * Whether every allowing rule is limited to some client networks (none of them /0), so that not
     * every address on the internet can use the proxy. False for {@link #safeDefaults()}: they let
     * any client reach the internet.
     */
    public boolean restrictsClients() {
        // A deny rule with clients restricts nothing by itself, and an allow rule without clients, or
        // with 0.0.0.0/0 or ::/0, lets anyone in: this is the question an open-proxy warning needs.
        for (Rule rule : rules) {
            if (rule.action() == Action.ALLOW
                    && (rule.clients().isEmpty() || rule.clients().stream().anyMatch(c -> c.prefixLength() == 0))) {
                return false;
            }
        }
        return true;
    }

    /** The rules, one per line. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("AccessRules[");
        for (Rule rule : rules) {
            text.append("\n  ").append(rule);
        }
        return text.append(rules.isEmpty() ? "]" : "\n]").toString();
    }

    /** Holds the default rules, built once: they are immutable, and every caller can share them. */
    private static final class DefaultRules {
        static final AccessRules RULES = new AccessRules(List.of(
                Rule.builder(DEFAULT_LOOPBACK_CLIENTS, Action.ALLOW)
                        .clients(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"))
                        .build(),
                Rule.builder(DEFAULT_EVERYTHING_ELSE, Action.ALLOW).build()));
    }
}
