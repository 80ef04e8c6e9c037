package dev.ferryproxy.app.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.app.FerryCommand;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * docs/configuration.md lists every configuration key the parser accepts and every option of
 * {@code ferry} and its subcommands, and nothing else: a key or option added without a line there,
 * or a line left behind for one that was removed, fails here. Keys come from the parser itself
 * ({@link ConfigSchemaProbe}), options from picocli's model of {@link FerryCommand}.
 */
class ConfigurationReferenceTest {
    private static List<ReferenceTables.Section> page;

    @BeforeAll
    static void readPage() throws Exception {
        page = ReferenceTables.read(Files.readString(RepositoryFiles.root().resolve("docs/configuration.md"),
                StandardCharsets.UTF_8));
    }

    @Test
    void everyKeyTheParserAcceptsIsDocumentedAndNoOther(@TempDir Path probeFiles) throws Exception {
        ConfigSchemaProbe schema = ConfigSchemaProbe.run(probeFiles);
        // The probe itself must see nested keys, or the comparison below would prove little.
        assertThat(schema.leaves()).contains("timeouts.handshake", "auth.throttle.lockoutAfter", "rules[].action",
                "auth.users[].passwordHash", "listen");

        Set<String> documented = new TreeSet<>();
        ReferenceTables.under(page, "The configuration file").values().forEach(documented::addAll);

        Set<String> known = new TreeSet<>(schema.leaves());
        known.addAll(schema.sections());
        assertThat(documented).as("keys docs/configuration.md lists (in its tables under '## The configuration file')")
                .containsAll(schema.leaves());
        assertThat(known).as("keys the parser accepts; docs/configuration.md names these").containsAll(documented);
    }

    @Test
    void everyOptionOfEveryCommandIsDocumentedAndNoOther() {
        Map<String, List<String>> documented = new LinkedHashMap<>();
        ReferenceTables.under(page, "Command line").forEach((heading, names) -> {
            if (heading.matches("`ferry( [a-z-]+)?`")) {
                documented.put(heading.substring(1, heading.length() - 1), names);
            }
        });

        Map<String, Set<String>> actual = new LinkedHashMap<>();
        collect(new CommandLine(new FerryCommand()).getCommandSpec(), actual);

        assertThat(documented.keySet()).as("commands with a '### `ferry ...`' section in docs/configuration.md")
                .containsExactlyInAnyOrderElementsOf(actual.keySet());
        actual.forEach((command, names) -> {
            assertThat(documented.get(command)).as("options and parameters of '%s' in docs/configuration.md", command)
                    .containsAll(names);
            assertThat(names).as("options and parameters '%s' really has (docs/configuration.md lists no others)",
                    command).containsAll(documented.get(command));
        });
    }

    /** Every option name (each alias too) and every positional parameter's label, per command shown in help. */
    private static void collect(CommandSpec spec, Map<String, Set<String>> into) {
        Set<String> names = new TreeSet<>();
        for (OptionSpec option : spec.options()) {
            if (!option.hidden()) {
                names.addAll(List.of(option.names()));
            }
        }
        for (PositionalParamSpec parameter : spec.positionalParameters()) {
            if (!parameter.hidden()) {
                names.add(parameter.paramLabel());
            }
        }
        into.put(spec.qualifiedName(), names);
        for (CommandLine subcommand : spec.subcommands().values()) {
            if (!subcommand.getCommandSpec().usageMessage().hidden()) {
                collect(subcommand.getCommandSpec(), into);
            }
        }
    }
}
