package dev.ferryproxy.app;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code ferry completion}: prints the bash completion script for {@code ferry}, its subcommands
 * and their options, made by picocli's {@link AutoComplete} from the same command model that
 * parses the command line, so it cannot fall behind the options.
 */
@Command(name = "completion",
        mixinStandardHelpOptions = true,
        versionProvider = FerryVersion.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Prints a bash completion script for ferry, its commands and their options (also works in zsh"
                    + " after 'autoload -U +X bashcompinit && bashcompinit').",
            "Load it in the running shell with: source <(ferry completion)",
            "or for every new shell: ferry completion > /etc/bash_completion.d/ferry",
            "Exit codes: 0 the script was printed."
        })
final class CompletionCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        CommandLine root = spec.root().commandLine();
        PrintWriter out = spec.commandLine().getOut();
        out.print(AutoComplete.bash(spec.root().name(), root));
        out.flush();
        return 0;
    }
}
