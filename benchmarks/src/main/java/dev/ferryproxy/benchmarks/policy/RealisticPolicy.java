package dev.ferryproxy.benchmarks.policy;

import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Action;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.policy.Command;
import dev.ferryproxy.policy.DomainPattern;
import dev.ferryproxy.policy.PortRange;
import dev.ferryproxy.policy.Rule;

import java.util.ArrayList;
import java.util.List;

/**
 * A 50-rule policy of the kind a company runs: blocklists of names first, then private and
 * metadata networks denied, then per-user and per-team allows by name and port, and a final
 * allow for the internal clients. Requests that fall to the last rules walk all 50.
 */
final class RealisticPolicy {
    static final int RULE_COUNT = 50;

    private RealisticPolicy() {
    }

    static AccessRules rules() {
        List<Rule> rules = new ArrayList<>(RULE_COUNT);
        rules.add(Rule.builder("blocked clients", Action.DENY)
                .clients(Cidr.parse("203.0.113.0/24"), Cidr.parse("2001:db8:bad::/48")).build());
        for (int i = 0; i < 8; i++) {
            rules.add(Rule.builder("ads " + i, Action.DENY)
                    .destinationNames(DomainPattern.parse("*.ads-" + i + ".example"),
                            DomainPattern.parse("tracker-" + i + ".example"))
                    .build());
        }
        for (String network : new String[] {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
                "127.0.0.0/8", "100.64.0.0/10", "fc00::/7", "fe80::/10", "::1/128"}) {
            rules.add(Rule.builder("private " + network, Action.DENY).destinationNetworks(Cidr.parse(network)).build());
        }
        rules.add(Rule.builder("admins", Action.ALLOW).users("admin", "root-ops").build());
        for (int i = 0; i < 5; i++) {
            rules.add(Rule.builder("build " + i, Action.ALLOW)
                    .users("build-" + i, "ci-" + i)
                    .destinationNames(DomainPattern.parse("*.maven.org"), DomainPattern.parse("*.npmjs.org"),
                            DomainPattern.parse("github.com"), DomainPattern.parse("*.github.com"))
                    .destinationPorts(PortRange.of(443, 443))
                    .build());
        }
        for (int i = 0; i < 25; i++) {
            rules.add(Rule.builder("team " + i, Action.ALLOW)
                    .clients(Cidr.parse("10." + (100 + i) + ".0.0/16"))
                    .commands(Command.CONNECT)
                    .destinationNames(DomainPattern.parse("*.team-" + i + ".example"),
                            DomainPattern.parse("team-" + i + ".example"))
                    .destinationPorts(PortRange.of(80, 80), PortRange.of(443, 443), PortRange.of(8000, 8999))
                    .build());
        }
        rules.add(Rule.builder("internal clients, web ports", Action.ALLOW)
                .clients(Cidr.parse("10.0.0.0/8"), Cidr.parse("fd00:1::/48"))
                .destinationPorts(PortRange.of(80, 80), PortRange.of(443, 443))
                .build());
        if (rules.size() != RULE_COUNT) {
            throw new AssertionError(rules.size() + " rules");
        }
        return new AccessRules(rules);
    }
}
