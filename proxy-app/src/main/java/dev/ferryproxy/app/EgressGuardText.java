package dev.ferryproxy.app;

import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.policy.EgressGuard;

import java.util.List;
import java.util.stream.Collectors;

/** The egress guard in words, for --check-config and the start-up log: what is kept closed, and what rules open. */
final class EgressGuardText {
    private EgressGuardText() {
    }

    /** One line: the guarded networks, the host's own addresses, and the rules that open some of them. */
    static String describe(ProxyPolicy policy, EgressGuard guard) {
        List<String> openings = guard.explicitOpenings(policy.rules());
        return "egress guard: clients off loopback may not reach " + joined(guard.standardNetworks())
                + (guard.hostAddresses().isEmpty() ? "" : " or this host's addresses " + joined(guard.hostAddresses()))
                + (openings.isEmpty() ? "; no rule opens any of them"
                        : "; opened by a rule that names the network: " + String.join(", ", openings));
    }

    private static String joined(List<Cidr> networks) {
        return networks.stream().map(Cidr::toString).collect(Collectors.joining(" "));
    }
}
