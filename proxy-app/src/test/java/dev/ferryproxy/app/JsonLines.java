package dev.ferryproxy.app;

import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.schema.JsonSchema;

import java.util.Map;

/**
 * Parses one JSON object line. No JSON library is on the test classpath; snakeyaml-engine (the
 * configuration's parser) reads JSON, since YAML 1.2 is a superset of it, with the JSON schema.
 * The line must also be a single flow mapping: it starts with '{' and ends with '}'.
 */
final class JsonLines {
    private JsonLines() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> parse(String line) {
        if (!line.startsWith("{") || !line.endsWith("}")) {
            throw new AssertionError("not a JSON object line: " + line);
        }
        Object parsed = new Load(LoadSettings.builder().setSchema(new JsonSchema()).build()).loadFromString(line);
        if (!(parsed instanceof Map)) {
            throw new AssertionError("not a JSON object: " + line);
        }
        return (Map<String, Object>) parsed;
    }
}
