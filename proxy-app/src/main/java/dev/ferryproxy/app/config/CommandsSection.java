package dev.ferryproxy.app.config;

import dev.ferryproxy.policy.PortRange;
import dev.ferryproxy.udp.UdpSettings;

/**
 * Reads the {@code bind} and {@code udp} sections: whether the server serves BIND and UDP
 * ASSOCIATE, and their ports, timeouts and limits. A key left out is null in the result, so that
 * the command line and the defaults can fill it.
 */
final class CommandsSection {
    private CommandsSection() {
    }

    /** {@code bind: { enabled: true, ports: "40000-40999", timeout: 60s }} */
    static FerryConfig.Bind bind(ConfigNode node) throws ConfigException {
        ConfigMap bind = node.asMap("enabled", "ports", "timeout");
        return new FerryConfig.Bind(
                bind.read("enabled", ConfigNode::asBoolean),
                bind.read("ports", CommandsSection::ports),
                bind.read("timeout", ConfigFile::positiveDuration));
    }

    /** {@code udp: { enabled: true, ports: "50000-50999", idleTimeout: 2m, ... }} */
    static FerryConfig.Udp udp(ConfigNode node) throws ConfigException {
        ConfigMap udp = node.asMap("enabled", "ports", "idleTimeout", "maxDatagramBytes", "maxDestinations",
                "maxPacketsPerSecond", "repliesFromAnySource");
        return new FerryConfig.Udp(
                udp.read("enabled", ConfigNode::asBoolean),
                udp.read("ports", CommandsSection::ports),
                udp.read("idleTimeout", ConfigFile::positiveDuration),
                udp.read("maxDatagramBytes", value -> value.asInt(1, UdpSettings.MAX_UDP_PAYLOAD)),
                udp.read("maxDestinations", value -> value.asInt(1, 1_000_000)),
                udp.read("maxPacketsPerSecond", value -> value.asInt(0, 100_000_000)),
                udp.read("repliesFromAnySource", ConfigNode::asBoolean));
    }

    /** A port range for listeners: one port or "LO-HI", never port 0 (which means "any"). */
    private static PortRange ports(ConfigNode node) throws ConfigException {
        PortRange range = node.as(PortRange::parse);
        if (range.lo() == 0) {
            throw node.error("port 0 is not a port to listen on (leave 'ports' out for any free port)");
        }
        return range;
    }
}
