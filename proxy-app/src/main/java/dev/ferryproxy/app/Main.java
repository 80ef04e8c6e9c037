package dev.ferryproxy.app;

import picocli.CommandLine;

/** The {@code ferry} program. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        CommandLine commandLine = new CommandLine(new FerryCommand())
                .setParameterExceptionHandler(Main::reportUsageError);
        System.exit(commandLine.execute(args));
    }

    /** A usage error names what is wrong and where help is, without burying it under the whole usage text. */
    private static int reportUsageError(CommandLine.ParameterException e, String[] args) {
        CommandLine commandLine = e.getCommandLine();
        commandLine.getErr().println("ferry: " + e.getMessage());
        commandLine.getErr().println("Run 'ferry --help' for the options.");
        return commandLine.getCommandSpec().exitCodeOnInvalidInput();
    }
}
