package dev.ferryproxy.app.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.app.config.ConfigFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each YAML example of README.md is a configuration the real parser accepts, as it would from a
 * file beside a users file named {@code users} (the README's examples name that one).
 */
class ReadmeExamplesTest {
    @Test
    void everyYamlExampleOfTheReadmeLoads(@TempDir Path directory) throws Exception {
        Path root = RepositoryFiles.root();
        Files.copy(root.resolve("users.example"), directory.resolve("users"));
        List<String> examples = yamlBlocks(Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8));
        assertThat(examples).as("```yaml blocks in README.md").isNotEmpty();
        for (int i = 0; i < examples.size(); i++) {
            Path file = directory.resolve("readme-example-" + i + ".yaml");
            Files.writeString(file, examples.get(i), StandardCharsets.UTF_8);
            ConfigFile.load(file); // throws, naming the line and the key, where the README is wrong
        }
    }

    private static List<String> yamlBlocks(String markdown) {
        List<String> blocks = new ArrayList<>();
        StringBuilder block = null;
        for (String line : markdown.split("\n", -1)) {
            if (block == null && line.equals("```yaml")) {
                block = new StringBuilder();
            } else if (block != null && line.equals("```")) {
                blocks.add(block.toString());
                block = null;
            } else if (block != null) {
                block.append(line).append('\n');
            }
        }
        return blocks;
    }
}
