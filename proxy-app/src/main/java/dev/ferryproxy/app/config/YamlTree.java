package dev.ferryproxy.app.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Reads a YAML file into its node tree, where every node keeps the line and column it starts at.
 * Nothing is turned into Java objects here: {@link ConfigNode} does that, key by key, so that an
 * error can name the key.
 */
public final class YamlTree {
    /** Far more than any real configuration; a bigger file is a mistake (or an attack). */
    private static final int MAX_CODE_POINTS = 1024 * 1024;

    private YamlTree() {
    }

    /**
     * @return the root node, or empty when the file holds no document (empty, or comments only)
     * @throws ConfigException when the file cannot be read, is not UTF-8, or is not YAML (with the line)
     */
    public static Optional<ConfigNode> read(Path path) throws ConfigException {
        String file = path.toString();
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new ConfigException(file, "cannot read: not UTF-8 text");
        } catch (IOException e) {
            throw new ConfigException(file, "cannot read: " + describe(e));
        }
        return parse(file, text);
    }

    /** Parses {@code text} as if it were the content of {@code file}. */
    public static Optional<ConfigNode> parse(String file, String text) throws ConfigException {
        LoadSettings settings = LoadSettings.builder()
                .setLabel(file)
                .setSchema(new CoreSchema())
                .setUseMarks(true)
                .setAllowDuplicateKeys(false)
                .setMaxAliasesForCollections(50)
                .setCodePointLimit(MAX_CODE_POINTS)
                .build();
        Optional<Node> root;
        try {
            root = new Compose(settings).composeString(text);
        } catch (MarkedYamlEngineException e) {
            throw syntaxError(file, e);
        } catch (YamlEngineException e) {
            throw new ConfigException(file, "not valid YAML: " + e.getMessage());
        }
        return root.map(node -> ConfigNode.root(file, node));
    }

    private static ConfigException syntaxError(String file, MarkedYamlEngineException e) {
        Optional<Mark> mark = e.getProblemMark().or(e::getContextMark);
        StringBuilder problem = new StringBuilder("not valid YAML: ");
        if (e.getContext() != null && !e.getContext().isBlank()) {
            problem.append(e.getContext().strip()).append(": ");
        }
        problem.append(e.getProblem() != null ? e.getProblem().strip() : "syntax error");
        return new ConfigException(file, mark.map(m -> m.getLine() + 1).orElse(0),
                mark.map(m -> m.getColumn() + 1).orElse(0), "", problem.toString());
    }

    static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
