package dev.ferryproxy.app.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * One value of the configuration file, with its key path ({@code rules[2].clients[0]}) and its
 * place in the file. Every conversion that fails throws a {@link ConfigException} naming both.
 */
public final class ConfigNode {
    /** Turns a value's text into an object; throws {@link IllegalArgumentException} saying what is wrong. */
    @FunctionalInterface
    public interface Parser<T> {
        T parse(String text);
    }

    /** Reads a node into an object; throws {@link ConfigException} through the node's error methods. */
    @FunctionalInterface
    public interface Reader<T> {
        T read(ConfigNode node) throws ConfigException;
    }

    private final String file;
    private final String path;
    private final Node node;

    private ConfigNode(String file, String path, Node node) {
        this.file = file;
        this.path = path;
        this.node = node;
    }

    static ConfigNode root(String file, Node node) {
        return new ConfigNode(file, "", node);
    }

    ConfigNode child(String key, Node child) {
        return new ConfigNode(file, path.isEmpty() ? key : path + "." + key, child);
    }

    private ConfigNode element(int index, Node child) {
        return new ConfigNode(file, path + "[" + index + "]", child);
    }

    Node node() {
        return node;
    }

    /** The file as the user named it. */
    public String file() {
        return file;
    }

    /** The key path, such as {@code rules[2].clients[0]}; empty for the document itself. */
    public String path() {
        return path;
    }

    /** The 1-based line the value starts on. */
    public int line() {
        return node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
    }

    /** An error at this value, naming the file, line, column and key path. */
    public ConfigException error(String problem) {
        return errorAt(node, path, problem);
    }

    ConfigException errorAt(Node at, String atPath, String problem) {
        Optional<Mark> mark = at.getStartMark();
        return new ConfigException(file, mark.map(m -> m.getLine() + 1).orElse(0),
                mark.map(m -> m.getColumn() + 1).orElse(0), atPath, problem);
    }

    /** Whether the value is empty or null ({@code key:}, {@code key: ~}). */
    public boolean isNull() {
        return node instanceof ScalarNode && Tag.NULL.equals(node.getTag());
    }

    /** A mapping whose keys must all be among {@code allowedKeys}, each at most once. */
    public ConfigMap asMap(String... allowedKeys) throws ConfigException {
        if (!(node instanceof MappingNode)) {
            throw error("expected a mapping (key: value lines), got " + describe());
        }
        return new ConfigMap(this, (MappingNode) node, List.of(allowedKeys));
    }

    /** The elements of a list. */
    public List<ConfigNode> asList() throws ConfigException {
        if (!(node instanceof SequenceNode)) {
            String hint = node instanceof ScalarNode && !isNull() ? " (write a list, e.g. [" + quoted() + "])" : "";
            throw error("expected a list, got " + describe() + hint);
        }
        List<Node> values = ((SequenceNode) node).getValue();
        List<ConfigNode> elements = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            elements.add(element(i, values.get(i)));
        }
        return Collections.unmodifiableList(elements);
    }

    /** A list that must hold at least one element: an empty condition would silently match anything. */
    public List<ConfigNode> asNonEmptyList() throws ConfigException {
        List<ConfigNode> elements = asList();
        if (elements.isEmpty()) {
            throw error("the list is empty (leave the key out instead)");
        }
        return elements;
    }

    /** Each element of a list, parsed with {@code parser}. */
    public <T> List<T> asListOf(Parser<T> parser) throws ConfigException {
        return asListOf(element -> element.as(parser), false);
    }

    /** Each element of a list, read with {@code reader}; {@code nonEmpty} refuses an empty list. */
    public <T> List<T> asListOf(Reader<T> reader, boolean nonEmpty) throws ConfigException {
        List<T> values = new ArrayList<>();
        for (ConfigNode element : nonEmpty ? asNonEmptyList() : asList()) {
            values.add(reader.read(element));
        }
        return Collections.unmodifiableList(values);
    }

    /** The text of a single value (a number counts too: {@code name: 42} is "42"). */
    public String asString() throws ConfigException {
        if (!(node instanceof ScalarNode) || isNull()) {
            throw error("expected a single value, got " + describe());
        }
        return ((ScalarNode) node).getValue();
    }

    /** A whole number from {@code min} to {@code max}. */
    public int asInt(int min, int max) throws ConfigException {
        String text = scalarFor("a whole number");
        if (!text.matches("[+-]?[0-9]+")) {
            throw error("expected a whole number, got '" + text + "'");
        }
        // more than 11 characters cannot fit an int; this also keeps parseLong from overflowing
        long value = text.length() > 11 ? Long.MAX_VALUE : Long.parseLong(text);
        if (value < min || value > max) {
            throw error(text + " is out of range (expected: " + min + "-" + max + ")");
        }
        return (int) value;
    }

    /** {@code true} or {@code false}. */
    public boolean asBoolean() throws ConfigException {
        String text = scalarFor("true or false");
        switch (text.toLowerCase(Locale.ROOT)) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw error("expected true or false, got '" + text + "'");
        }
    }

    /** The value's text turned into an object; the parser's message says what is wrong with it. */
    public <T> T as(Parser<T> parser) throws ConfigException {
        String text = asString();
        try {
            return parser.parse(text);
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
    }

    private String scalarFor(String expected) throws ConfigException {
        if (!(node instanceof ScalarNode) || isNull()) {
            throw error("expected " + expected + ", got " + describe());
        }
        return ((ScalarNode) node).getValue();
    }

    private String quoted() {
        return "\"" + ((ScalarNode) node).getValue() + "\"";
    }

    /** What the value is, for "expected X, got Y". */
    private String describe() {
        if (node instanceof MappingNode) {
            return "a mapping";
        }
        if (node instanceof SequenceNode) {
            return "a list";
        }
        if (isNull()) {
            return "no value";
        }
        return "'" + ((ScalarNode) node).getValue() + "'";
    }
}
