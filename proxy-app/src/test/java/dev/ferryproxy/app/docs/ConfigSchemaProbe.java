package dev.ferryproxy.app.docs;

import dev.ferryproxy.app.config.ConfigException;
import dev.ferryproxy.app.config.ConfigFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.SortedSet;

/**
 * The keys the configuration parser really accepts, found by asking {@link ConfigFile#load} itself
 * rather than by reading its source: a file holding one unknown key at a path is answered with
 * "unknown key (expected one of: ...)" naming that mapping's keys. Each key is then probed as a
 * mapping ({@code key: {probe: 1}}) and as a list of mappings ({@code key: [{probe: 1}]}); when
 * neither answer names its keys, the key holds a value (a leaf). So a key added to any
 * {@code asMap(...)} call appears here without this class knowing of it.
 *
 * <p>Paths are written as the reference writes them: {@code auth.throttle.baseDelay}, and
 * {@code rules[].action} for a key of each element of a list. The probe cannot see inside a
 * mapping that its parser reads only after a required key has been checked (none today); such a
 * mapping would show up as a leaf.
 */
final class ConfigSchemaProbe {
    private static final String PROBE = "ferryDocsProbe";
    private static final String UNKNOWN_KEY = "unknown key (expected one of: ";

    private final Path directory;
    private final SortedSet<String> leaves = new TreeSet<>();
    private final SortedSet<String> sections = new TreeSet<>();

    private ConfigSchemaProbe(Path directory) {
        this.directory = directory;
    }

    /** Probes the parser, writing its probe files into {@code directory}. */
    static ConfigSchemaProbe run(Path directory) throws IOException {
        ConfigSchemaProbe probe = new ConfigSchemaProbe(directory);
        probe.explore(List.of(), probe.keysOf(List.of()).orElseThrow(
                () -> new AssertionError("the parser named no top-level keys for an unknown one")));
        return probe;
    }

    /** Keys that hold a value: {@code timeouts.handshake}, {@code rules[].action}. */
    SortedSet<String> leaves() {
        return leaves;
    }

    /** Keys that hold a mapping or a list of mappings: {@code timeouts}, {@code rules}. */
    SortedSet<String> sections() {
        return sections;
    }

    private void explore(List<String> at, List<String> keys) throws IOException {
        for (String key : keys) {
            List<String> path = new ArrayList<>(at);
            path.add(key);
            Optional<List<String>> mapKeys = keysOf(path);
            if (mapKeys.isPresent()) {
                sections.add(written(path));
                explore(path, mapKeys.get());
                continue;
            }
            List<String> element = new ArrayList<>(path);
            element.add("[]");
            Optional<List<String>> elementKeys = keysOf(element);
            if (elementKeys.isPresent()) {
                sections.add(written(path));
                explore(element, elementKeys.get());
            } else {
                leaves.add(written(path));
            }
        }
    }

    /** The keys of the mapping at {@code path}, when the parser reads a mapping there. */
    private Optional<List<String>> keysOf(List<String> path) throws IOException {
        Path file = Files.createTempFile(directory, "probe", ".yaml");
        Files.writeString(file, document(path, 0), StandardCharsets.UTF_8);
        try {
            ConfigFile.load(file);
            return Optional.empty(); // the value is taken as it is, whatever it holds: a leaf
        } catch (ConfigException e) {
            String expectedKey = written(path).isEmpty() ? PROBE : written(path) + "." + PROBE;
            if (!e.problem().startsWith(UNKNOWN_KEY) || !expectedKey.equals(e.key().replaceAll("\\[\\d+]", "[]"))) {
                return Optional.empty();
            }
            String list = e.problem().substring(UNKNOWN_KEY.length(), e.problem().length() - 1);
            return Optional.of(List.of(list.split(", ")));
        } finally {
            Files.delete(file);
        }
    }

    /** A flow-style YAML document holding {@code {PROBE: 1}} at {@code path}. */
    private static String document(List<String> path, int from) {
        if (from == path.size()) {
            return "{" + PROBE + ": 1}";
        }
        String inner = document(path, from + 1);
        return path.get(from).equals("[]") ? "[" + inner + "]" : "{\"" + path.get(from) + "\": " + inner + "}";
    }

    private static String written(List<String> path) {
        StringBuilder text = new StringBuilder();
        for (String segment : path) {
            if (segment.equals("[]")) {
                text.append("[]");
            } else {
                text.append(text.length() == 0 ? "" : ".").append(segment);
            }
        }
        return text.toString();
    }
}
