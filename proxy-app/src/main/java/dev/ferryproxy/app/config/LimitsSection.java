package dev.ferryproxy.app.config;

import dev.ferryproxy.app.ByteSizes;
import dev.ferryproxy.limits.Limit;
import dev.ferryproxy.limits.LimitsPolicy;
import dev.ferryproxy.limits.NetworkLimit;
import dev.ferryproxy.limits.Quota;
import dev.ferryproxy.policy.Cidr;

import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the {@code limits} section: a limit for every user, limits for named users (each key
 * given replaces the default's, the rest stay the default's), and limits for client networks.
 *
 * <pre>
 * limits:
 *   default: { tunnels: 10, connectionsPerSecond: 5, downloadBytesPerSecond: 10MiB }
 *   users:
 *     alice: { tunnels: 50, quota: { bytes: 100GiB, period: month } }
 *   networks:
 *     - { network: 10.1.0.0/16, per: address, tunnels: 20 }
 * </pre>
 */
final class LimitsSection {
    private static final String[] LIMIT_KEYS = {"tunnels", "connectionsPerSecond", "connectionBurst",
        "uploadBytesPerSecond", "downloadBytesPerSecond", "quota"};
    private static final int MAX_TUNNELS = 100_000_000;

    private LimitsSection() {
    }

    /** The keys of one limit as given: null where not given. */
    private record Given(Integer tunnels, Double connectionsPerSecond, Integer connectionBurst, Long upload,
            Long download, Quota quota, boolean quotaGiven) {
        static final Given NOTHING = new Given(null, null, null, null, null, null, false);

        /** These keys over {@code base}'s. */
        Limit over(Limit base) {
            return new Limit(tunnels != null ? tunnels : base.tunnels(),
                    connectionsPerSecond != null ? connectionsPerSecond : base.connectionsPerSecond(),
                    connectionBurst != null ? connectionBurst
                            : connectionsPerSecond != null ? 0 : base.connectionBurst(),
                    upload != null ? upload : base.uploadBytesPerSecond(),
                    download != null ? download : base.downloadBytesPerSecond(),
                    quotaGiven ? quota : base.quota());
        }
    }

    static LimitsPolicy read(ConfigNode node) throws ConfigException {
        ConfigMap section = node.asMap("default", "users", "networks");
        Limit userDefault = section.get("default").isPresent()
                ? limit(section.get("default").get()).over(Limit.NONE) : Limit.NONE;
        Map<String, Limit> users = new LinkedHashMap<>();
        if (section.get("users").isPresent()) {
            ConfigNode usersNode = section.get("users").get();
            // Any name may be a key here; the mapping still refuses a name given twice.
            List<String> names = keysOf(usersNode);
            ConfigMap byName = usersNode.asMap(names.toArray(new String[0]));
            for (String name : names) {
                users.put(name, limit(byName.require(name)).over(userDefault));
            }
        }
        List<NetworkLimit> networks = new ArrayList<>();
        if (section.get("networks").isPresent()) {
            for (ConfigNode entry : section.get("networks").get().asList()) {
                networks.add(network(entry));
            }
        }
        return new LimitsPolicy(userDefault, users, networks);
    }

    /** The plain keys of a mapping, in order (none when it is not one: asMap then says what is wrong). */
    private static List<String> keysOf(ConfigNode node) {
        List<String> keys = new ArrayList<>();
        if (node.node() instanceof MappingNode mapping) {
            for (NodeTuple tuple : mapping.getValue()) {
                if (tuple.getKeyNode() instanceof ScalarNode key && !keys.contains(key.getValue())) {
                    keys.add(key.getValue());
                }
            }
        }
        return keys;
    }

    private static NetworkLimit network(ConfigNode node) throws ConfigException {
        List<String> keys = new ArrayList<>(List.of("network", "per"));
        keys.addAll(List.of(LIMIT_KEYS));
        ConfigMap entry = node.asMap(keys.toArray(new String[0]));
        Cidr network = entry.require("network").as(Cidr::parse);
        boolean perAddress = false;
        ConfigNode per = entry.get("per").orElse(null);
        if (per != null) {
            String text = per.asString().toLowerCase(Locale.ROOT);
            if (!text.equals("network") && !text.equals("address")) {
                throw per.error("expected network (the network shares the limit) or address (each address has it)");
            }
            perAddress = text.equals("address");
        }
        return new NetworkLimit(network, perAddress, readLimitKeys(entry).over(Limit.NONE));
    }

    private static Given limit(ConfigNode node) throws ConfigException {
        if (node.isNull()) {
            return Given.NOTHING;
        }
        return readLimitKeys(node.asMap(LIMIT_KEYS));
    }

    private static Given readLimitKeys(ConfigMap map) throws ConfigException {
        ConfigNode quotaNode = map.get("quota").orElse(null);
        return new Given(
                map.read("tunnels", value -> value.asInt(0, MAX_TUNNELS)),
                map.read("connectionsPerSecond", LimitsSection::rate),
                map.read("connectionBurst", value -> value.asInt(1, MAX_TUNNELS)),
                map.read("uploadBytesPerSecond", LimitsSection::bytes),
                map.read("downloadBytesPerSecond", LimitsSection::bytes),
                quotaNode == null || quotaNode.isNull() ? null : quota(quotaNode),
                quotaNode != null);
    }

    private static Quota quota(ConfigNode node) throws ConfigException {
        ConfigMap quota = node.asMap("bytes", "period", "resetAt");
        long bytes = quota.require("bytes").as(ByteSizes::parse);
        if (bytes < 1) {
            throw quota.require("bytes").error("a quota needs at least 1 byte");
        }
        Quota.Period period = Quota.Period.DAY;
        ConfigNode periodNode = quota.get("period").orElse(null);
        if (periodNode != null) {
            String text = periodNode.asString().toLowerCase(Locale.ROOT);
            period = switch (text) {
                case "day" -> Quota.Period.DAY;
                case "month" -> Quota.Period.MONTH;
                default -> throw periodNode.error("expected day or month, got '" + periodNode.asString() + "'");
            };
        }
        LocalTime resetAt = LocalTime.MIDNIGHT;
        ConfigNode resetNode = quota.get("resetAt").orElse(null);
        if (resetNode != null) {
            try {
                resetAt = LocalTime.parse(resetNode.asString());
            } catch (DateTimeParseException e) {
                throw resetNode.error("expected a time of day in UTC, HH:MM, got '" + resetNode.asString() + "'");
            }
        }
        return new Quota(bytes, period, resetAt);
    }

    private static double rate(ConfigNode node) throws ConfigException {
        String text = node.asString();
        double value;
        try {
            value = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw node.error("expected a number of connections per second, got '" + text + "'");
        }
        if (!(value >= 0) || Double.isInfinite(value) || value > 1e9) {
            throw node.error("'" + text + "' is out of range (expected 0 to 1000000000; 0: no limit)");
        }
        return value;
    }

    private static long bytes(ConfigNode node) throws ConfigException {
        return node.as(ByteSizes::parse);
    }
}
