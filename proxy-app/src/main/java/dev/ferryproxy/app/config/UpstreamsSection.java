package dev.ferryproxy.app.config;

import dev.ferryproxy.client.ProxyUri;
import dev.ferryproxy.connect.Upstream;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the {@code upstreams} list: named routes through parent proxies, which rules name with
 * {@code via}.
 *
 * <pre>
 * upstreams:
 *   - name: corp
 *     proxies: ["socks5h://relay:secret@10.0.0.2:1080", "socks4a://10.0.0.3:1080"]
 * </pre>
 *
 * <p>Each proxy is a URI as {@code ferry connect --proxy} takes it; the first is the one Ferry
 * connects to. Credentials for a parent are in its URI, so the file holds them in clear text.
 */
final class UpstreamsSection {
    private UpstreamsSection() {
    }

    static Map<String, Upstream> read(ConfigNode node) throws ConfigException {
        Map<String, Upstream> upstreams = new LinkedHashMap<>();
        Map<String, Integer> lines = new LinkedHashMap<>();
        for (ConfigNode entry : node.asList()) {
            ConfigMap upstream = entry.asMap("name", "proxies");
            ConfigNode nameNode = upstream.require("name");
            String name = nameNode.asString();
            if (name.isBlank()) {
                throw nameNode.error("the name is empty");
            }
            Integer firstLine = lines.putIfAbsent(name, nameNode.line());
            if (firstLine != null) {
                throw nameNode.error("upstream '" + name + "' is defined twice (first on line " + firstLine + ")");
            }
            List<ProxyUri> hops = new ArrayList<>(upstream.require("proxies")
                    .asListOf(hop -> hop.as(ProxyUri::parse), true));
            upstreams.put(name, new Upstream(name, hops));
        }
        return Collections.unmodifiableMap(upstreams);
    }
}
