package dev.ferryproxy.app.config;

import dev.ferryproxy.app.HostPort;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.proxyprotocol.ProxyProtocolMode;
import dev.ferryproxy.proxyprotocol.ProxyProtocolSettings;
import io.netty.util.NetUtil;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the {@code proxyProtocol} section: per listener, whether a PROXY protocol header (from a
 * load balancer) is off, optional or required, from which networks, and how long it may take.
 *
 * <pre>
 * proxyProtocol:
 *   - listen: "0.0.0.0:1080"        # one of the addresses in listen
 *     mode: required                # off | optional | required
 *     trustedSources: ["10.0.0.0/8"] # required unless mode is off
 *     headerTimeout: 5s             # optional, default 5s
 * </pre>
 */
final class ProxyProtocolSection {
    private ProxyProtocolSection() {
    }

    /**
     * @param listeners the file's {@code listen} list, null when it has none
     */
    static Map<InetSocketAddress, ProxyProtocolSettings> read(ConfigNode node, List<InetSocketAddress> listeners)
            throws ConfigException {
        Map<InetSocketAddress, ProxyProtocolSettings> settings = new LinkedHashMap<>();
        Map<InetSocketAddress, Integer> lines = new LinkedHashMap<>();
        for (ConfigNode element : node.asList()) {
            ConfigMap entry = element.asMap("listen", "mode", "trustedSources", "headerTimeout");
            ConfigNode listenNode = entry.require("listen");
            InetSocketAddress listen = listenNode.as(HostPort::parse);
            if (listeners == null || !listeners.contains(listen)) {
                throw listenNode.error("'" + NetUtil.toSocketAddressString(listen) + "' is not one of the addresses in"
                        + " listen" + (listeners == null ? " (the file has no listen list: add one)"
                        : " (" + String.join(", ", listeners.stream().map(NetUtil::toSocketAddressString).toList()) + ")"));
            }
            Integer first = lines.putIfAbsent(listen, listenNode.line());
            if (first != null) {
                throw listenNode.error("'" + NetUtil.toSocketAddressString(listen)
                        + "' already has PROXY protocol settings (on line " + first + ")");
            }
            ConfigNode modeNode = entry.require("mode");
            ProxyProtocolMode mode = modeNode.as(ProxyProtocolMode::parse);
            List<Cidr> trusted = entry.read("trustedSources", value -> value.asListOf(cidr -> cidr.as(Cidr::parse), true));
            if (mode != ProxyProtocolMode.OFF && trusted == null) {
                throw modeNode.error("is " + mode.name().toLowerCase(Locale.ROOT) + ", but no trustedSources are given"
                        + " (list the load balancers' networks, e.g. trustedSources: [\"10.0.0.0/8\"])");
            }
            Duration timeout = entry.read("headerTimeout", ConfigFile::positiveDuration);
            settings.put(listen, new ProxyProtocolSettings(mode, trusted == null ? List.of() : trusted,
                    timeout == null ? ProxyProtocolSettings.DEFAULT_HEADER_TIMEOUT : timeout));
        }
        return settings;
    }
}
