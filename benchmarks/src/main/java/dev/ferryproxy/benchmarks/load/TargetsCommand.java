package dev.ferryproxy.benchmarks.load;

import dev.ferryproxy.transport.Transport;
import dev.ferryproxy.transport.TransportKind;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.net.InetAddress;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * Runs only the targets, so a script can pin them to a core of their own choosing. Prints one
 * line, {@code TARGETS sink=...,source=...,echo=...,udp-echo=...} (what {@code --targets} takes),
 * then serves until standard input ends or the process is stopped.
 */
@Command(name = "targets", mixinStandardHelpOptions = true,
        description = "Run the sink, source, echo and UDP echo targets alone and print their addresses.")
final class TargetsCommand implements Callable<Integer> {
    @Option(names = "--bind", paramLabel = "IP", defaultValue = "127.0.0.1",
            description = "Where to listen (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Event loops (default: one per usable core).")
    int threads;

    @Option(names = "--transport", paramLabel = "KIND", defaultValue = "auto", description = "auto, epoll or nio.")
    String transport;

    private final PrintStream out;

    TargetsCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        int loops = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        Targets targets = Targets.start(Transport.select(TransportKind.valueOf(transport.toUpperCase(Locale.ROOT))),
                loops, InetAddress.getByName(bind));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            targets.close();
            stopped.countDown();
        }, "targets-stop"));
        out.println("TARGETS " + targets.addresses());
        out.flush();
        // Standard input ending (the script that started us went away) stops us as well.
        Thread stdin = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // keep reading
                }
            } catch (java.io.IOException e) {
                // treated as the end
            }
            stopped.countDown();
        }, "targets-stdin");
        stdin.setDaemon(true);
        stdin.start();
        stopped.await();
        targets.close();
        return 0;
    }
}
