package dev.ferryproxy.app.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * A mapping of the configuration file, checked when made: every key is a plain name among the
 * allowed ones, and none appears twice. A key that is not there reads as absent.
 */
public final class ConfigMap {
    private final ConfigNode owner;
    private final Map<String, ConfigNode> values = new LinkedHashMap<>();

    ConfigMap(ConfigNode owner, MappingNode mapping, List<String> allowedKeys) throws ConfigException {
        this.owner = owner;
        Map<String, Integer> firstLines = new LinkedHashMap<>();
        for (NodeTuple tuple : mapping.getValue()) {
            Node keyNode = tuple.getKeyNode();
            if (!(keyNode instanceof ScalarNode) || Tag.NULL.equals(keyNode.getTag())) {
                throw owner.errorAt(keyNode, owner.path(), "a key must be a plain name");
            }
            String key = ((ScalarNode) keyNode).getValue();
            ConfigNode value = owner.child(key, tuple.getValueNode());
            if (!allowedKeys.contains(key)) {
                throw owner.errorAt(keyNode, value.path(), "unknown key (expected one of: "
                        + String.join(", ", allowedKeys) + ")");
            }
            Integer firstLine = firstLines.putIfAbsent(key, keyNode.getStartMark().map(m -> m.getLine() + 1).orElse(0));
            if (firstLine != null) {
                throw owner.errorAt(keyNode, value.path(), "duplicate key (first given on line " + firstLine + ")");
            }
            values.put(key, value);
        }
    }

    /** The mapping itself, for errors about it as a whole. */
    public ConfigNode node() {
        return owner;
    }

    /** The value of {@code key}, or empty when the key is not there. */
    public Optional<ConfigNode> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /** The value of {@code key} read with {@code reader}, or null when the key is not there. */
    public <T> T read(String key, ConfigNode.Reader<T> reader) throws ConfigException {
        ConfigNode value = values.get(key);
        return value == null ? null : reader.read(value);
    }

    /** The value of a key that must be there. */
    public ConfigNode require(String key) throws ConfigException {
        ConfigNode value = values.get(key);
        if (value == null) {
            String path = owner.path().isEmpty() ? key : owner.path() + "." + key;
            throw owner.errorAt(owner.node(), path, "is missing (it is required)");
        }
        return value;
    }
}
