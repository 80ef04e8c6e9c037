package dev.ferryproxy.app.config;

import dev.ferryproxy.policy.Action;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.policy.Command;
import dev.ferryproxy.policy.DomainPattern;
import dev.ferryproxy.policy.PortRange;
import dev.ferryproxy.policy.Rule;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the {@code rules} list: first match wins. A condition that is left out matches anything;
 * a condition with several entries matches when any of them does.
 */
final class RulesSection {
    private RulesSection() {
    }

    /**
     * @param upstreams the names {@code via} may give (the {@code upstreams} section's)
     */
    static List<Rule> read(ConfigNode node, Set<String> upstreams) throws ConfigException {
        List<ConfigNode> entries = node.asList();
        List<Rule> rules = new ArrayList<>(entries.size());
        Map<String, Integer> names = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            rules.add(rule(entries.get(i), "rules[" + i + "]", names, upstreams));
        }
        return rules;
    }

    private static Rule rule(ConfigNode node, String defaultName, Map<String, Integer> names, Set<String> upstreams)
            throws ConfigException {
        ConfigMap rule = node.asMap("name", "action", "clients", "users", "versions", "commands", "destinations",
                "names", "ports", "via");
        String name = defaultName;
        if (rule.get("name").isPresent()) {
            ConfigNode nameNode = rule.get("name").get();
            name = nameNode.asString();
            if (name.isBlank()) {
                throw nameNode.error("the name is empty (leave it out for '" + defaultName + "')");
            }
            Integer firstLine = names.putIfAbsent(name, nameNode.line());
            if (firstLine != null) {
                throw nameNode.error("rule name '" + name + "' is used twice (first on line " + firstLine + ")");
            }
        }
        Action action = rule.require("action").as(Action::parse);
        Rule.Builder builder = Rule.builder(name, action);
        List<Cidr> clients = rule.read("clients", value -> value.asListOf(cidr(), true));
        if (clients != null) {
            builder.clients(clients);
        }
        List<String> users = rule.read("users", value -> value.asListOf(RulesSection::userName, true));
        if (users != null) {
            builder.users(users);
        }
        List<Integer> versions = rule.read("versions",
                value -> value.asListOf(version -> version.as(RulesSection::socksVersion), true));
        if (versions != null) {
            builder.socksVersions(versions);
        }
        List<Command> commands = rule.read("commands",
                value -> value.asListOf(command -> command.as(Command::parse), true));
        if (commands != null) {
            builder.commands(commands);
        }
        List<Cidr> destinations = rule.read("destinations", value -> value.asListOf(cidr(), true));
        if (destinations != null) {
            builder.destinationNetworks(destinations);
        }
        List<DomainPattern> patterns = rule.read("names",
                value -> value.asListOf(pattern -> pattern.as(DomainPattern::parse), true));
        if (patterns != null) {
            builder.destinationNames(patterns);
        }
        List<PortRange> ports = rule.read("ports", value -> value.asListOf(port -> port.as(PortRange::parse), true));
        if (ports != null) {
            builder.destinationPorts(ports);
        }
        if (rule.get("via").isPresent()) {
            builder.via(via(rule.get("via").get(), action, upstreams));
        }
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw node.error(e.getMessage());
        }
    }

    private static String via(ConfigNode node, Action action, Set<String> upstreams) throws ConfigException {
        if (action != Action.ALLOW) {
            throw node.error("only a rule that allows can route through an upstream, and this one says "
                    + action.configName());
        }
        String name = node.asString();
        if (!upstreams.contains(name)) {
            throw node.error("'" + name + "' names no upstream (defined in 'upstreams': "
                    + (upstreams.isEmpty() ? "none" : String.join(", ", upstreams)) + ")");
        }
        return name;
    }

    private static ConfigNode.Reader<Cidr> cidr() {
        return value -> value.as(Cidr::parse);
    }

    private static String userName(ConfigNode node) throws ConfigException {
        String name = node.asString();
        if (name.isEmpty()) {
            throw node.error("an empty user name can never match");
        }
        return name;
    }

    private static int socksVersion(String text) {
        switch (text.strip()) {
            case "4":
                return 4;
            case "5":
                return 5;
            default:
                throw new IllegalArgumentException("'" + text + "' is not a SOCKS version (expected: 4 or 5; SOCKS4a is 4)");
        }
    }
}
