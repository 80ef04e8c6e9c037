package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Issue 15, section 3: {@code ferry --help} and each command's help are complete and say the same
 * kind of things: every option and parameter is described, each command has --help and
 * --version and says how it exits, the server's help names every command, and no help text
 * makes picocli warn (a bare '%' in a description once did, in connect's ssh example).
 */
class HelpTest {
    private static List<CommandLine> everyCommand() {
        CommandLine ferry = new CommandLine(new FerryCommand());
        List<CommandLine> all = new ArrayList<>();
        all.add(ferry);
        all.addAll(ferry.getSubcommands().values());
        return all;
    }

    @Test
    void everyOptionAndParameterIsDescribed() {
        for (CommandLine command : everyCommand()) {
            List<ArgSpec> args = new ArrayList<>(command.getCommandSpec().options());
            args.addAll(command.getCommandSpec().positionalParameters());
            for (ArgSpec arg : args) {
                assertThat(String.join(" ", arg.description()).trim())
                        .as("%s %s", command.getCommandName(), arg.paramLabel()).isNotEmpty();
            }
        }
    }

    @Test
    void everyCommandHasHelpAndVersionAndSaysHowItExits() {
        for (CommandLine command : everyCommand()) {
            CommandSpec spec = command.getCommandSpec();
            assertThat(spec.findOption("--help")).as(spec.qualifiedName()).isNotNull();
            assertThat(spec.findOption("--version")).as(spec.qualifiedName()).isNotNull();
            assertThat(String.join(" ", spec.usageMessage().description()))
                    .as("%s says how it exits", spec.qualifiedName()).containsPattern("Exit codes: |Exits \\d");
        }
    }

    @Test
    void theServersHelpNamesEveryCommand() {
        CommandLine ferry = new CommandLine(new FerryCommand());
        String description = String.join(" ", ferry.getCommandSpec().usageMessage().description());
        for (String name : ferry.getSubcommands().keySet()) {
            assertThat(description).as("ferry --help's description names %s", name).containsPattern("\\b" + name + "\\b");
        }
    }

    @Test
    void noHelpTextMakesPicocliWarn() {
        PrintStream standardError = System.err;
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        List<String> usages = new ArrayList<>();
        System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
        try {
            for (CommandLine command : everyCommand()) {
                usages.add(command.getUsageMessage());
            }
        } finally {
            System.setErr(standardError);
        }
        assertThat(warnings.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(usages).allSatisfy(usage -> assertThat(usage).startsWith("Usage: ferry"));
        assertThat(usages.get(0)).contains("source <(ferry completion)", "docs/man");
    }
}
