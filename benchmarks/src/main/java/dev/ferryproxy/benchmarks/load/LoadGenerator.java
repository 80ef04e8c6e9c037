package dev.ferryproxy.benchmarks.load;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.util.function.Consumer;

/**
 * Ferry's load generator: drives any SOCKS4/4a/5 server (or none: direct loopback) with its own
 * targets, and prints what it measured.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.ferryproxy.benchmarks.load.LoadGenerator throughput \
 *     --proxy socks5://127.0.0.1:1080 --streams 1 --direction up --warmup 5s --duration 10s
 * </pre>
 *
 * Exit codes: 0 when the run completed (its errors are in the result), 1 when it could not run
 * (no tunnel opened, the server is unreachable), 2 for a usage error.
 */
@Command(name = "load-generator", mixinStandardHelpOptions = true, subcommandsRepeatable = false,
        description = "Load generator for SOCKS servers: throughput, connect rate, request/response latency, "
                + "memory per idle tunnel, slow readers, UDP rate.")
public final class LoadGenerator implements Runnable {
    @picocli.CommandLine.Spec
    private picocli.CommandLine.Model.CommandSpec spec;

    private LoadGenerator() {
    }

    public static void main(String[] args) {
        System.exit(run(result -> { }, System.out, args));
    }

    /**
     * Runs one command; {@code listener} receives each result (the smoke tests use it).
     *
     * @return the exit code
     */
    public static int run(Consumer<Result> listener, PrintStream out, String... args) {
        CommandLine commandLine = new CommandLine(new LoadGenerator())
                .addSubcommand(new TargetsCommand(out))
                .addSubcommand(new Throughput().listener(listener, out))
                .addSubcommand(new ConnectRate().listener(listener, out))
                .addSubcommand(new RequestResponse().listener(listener, out))
                .addSubcommand(new IdleTunnels().listener(listener, out))
                .addSubcommand(new SlowReader().listener(listener, out))
                .addSubcommand(new UdpRate().listener(listener, out));
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof CommandLine.ParameterException) {
                // a usage error (no mode given): picocli prints it with the usage, exit code 2
                return cmd.getParameterExceptionHandler().handleParseException((CommandLine.ParameterException) e, args);
            }
            cmd.getErr().println(cmd.getCommandName() + ": " + e);
            return 1;
        });
        return commandLine.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a mode is needed: targets, throughput, "
                + "connect-rate, request-response, idle-tunnels, slow-reader or udp-rate");
    }
}
