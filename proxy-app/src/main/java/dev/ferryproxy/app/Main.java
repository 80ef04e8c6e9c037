package dev.ferryproxy.app;

import picocli.CommandLine;

/** The {@code ferry} program. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new FerryCommand()).execute(args));
    }
}
