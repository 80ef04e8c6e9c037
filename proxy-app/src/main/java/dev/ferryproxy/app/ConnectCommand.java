package dev.ferryproxy.app;

import ch.qos.logback.classic.Level;
import dev.ferryproxy.client.SocksClient;
import dev.ferryproxy.client.SocksStreams;
import dev.ferryproxy.client.SocksTarget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code ferry connect --proxy URI HOST PORT}: one tunnel, joined to standard input and output,
 * as ssh's {@code ProxyCommand} expects. The end of standard input is passed on as a half-close;
 * the output keeps coming until the remote side ends the tunnel, and then the program ends, even
 * while standard input is still open (ssh keeps it open until it sees the end of our output).
 */
@Command(name = "connect",
        mixinStandardHelpOptions = true,
        versionProvider = FerryVersion.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Opens a tunnel through the proxy to HOST:PORT and joins it to standard input and output, for ssh's"
                    + " ProxyCommand:",
            "  ssh -o ProxyCommand='ferry connect --proxy socks5h://127.0.0.1:1080 %%h %%p' user@host",
            "The end of standard input half-closes the tunnel; the program ends when the remote side does."
                    + " Logs go to standard error.",
            "Exit codes: 0 the tunnel ended normally; 1 the proxy or the target failed (the reply code and its"
                    + " meaning are printed); 2 invalid options."
        })
final class ConnectCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ConnectCommand.class);
    private static final int BUFFER_SIZE = 64 * 1024;

    @Spec
    private CommandSpec spec;

    @Mixin
    private ClientOptions client;

    @Parameters(index = "0", paramLabel = "HOST", description = "The target's host name or address.")
    private String host;

    @Parameters(index = "1", paramLabel = "PORT", converter = ClientOptions.PortConverter.class,
            description = "The target's port.")
    private int port;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "warn",
            converter = FerryCommand.LogLevelConverter.class,
            description = "error, warn, info, debug or trace (default: ${DEFAULT-VALUE}); logs go to standard error.")
    private Level logLevel;

    @Override
    public Integer call() {
        ClientOptions.configureLogging(logLevel);
        PrintWriter err = spec.commandLine().getErr();
        SocksTarget target;
        try {
            target = ClientOptions.target(host, port, host + ":" + port);
        } catch (IllegalArgumentException e) {
            err.println("ferry connect: " + e.getMessage());
            err.flush();
            return 2;
        }
        String chainProblem = client.chainProblem(target);
        if (chainProblem != null) {
            err.println("ferry connect: " + chainProblem);
            err.flush();
            return 2;
        }
        try (SocksClient socks = client.clientBuilder().build()) {
            SocksStreams tunnel;
            try {
                tunnel = socks.connectStreams(target);
            } catch (IllegalArgumentException e) {
                // a hop that cannot carry the target (an IPv6 address over SOCKS4): nothing was sent
                err.println("ferry connect: " + e.getMessage());
                err.flush();
                return 2;
            } catch (IOException e) {
                err.println("ferry connect: " + ClientErrors.describe(e));
                err.flush();
                return 1;
            }
            log.info("tunnel to {} open through {}; the proxy connected from {}", target, client.describeProxies(),
                    tunnel.boundAddress());
            try (tunnel) {
                return join(tunnel, err);
            }
        }
    }

    /** Copies standard input into the tunnel on its own thread, and the tunnel to standard output here. */
    private int join(SocksStreams tunnel, PrintWriter err) {
        Thread upstream = new Thread(() -> copyStandardInput(tunnel), "ferry-connect-stdin");
        upstream.setDaemon(true);
        upstream.start();
        // Raw standard output: System.out is a PrintStream, which would hide a write error.
        OutputStream stdout = new FileOutputStream(FileDescriptor.out);
        byte[] buffer = new byte[BUFFER_SIZE];
        InputStream in = tunnel.input();
        try {
            for (int n; (n = in.read(buffer)) != -1; ) {
                try {
                    stdout.write(buffer, 0, n);
                    stdout.flush();
                } catch (IOException e) {
                    // whoever read our output (ssh) went away: the session is over
                    log.info("standard output closed: {}", e.getMessage());
                    return 0;
                }
            }
        } catch (IOException e) {
            err.println("ferry connect: the tunnel failed: " + ClientErrors.describe(e));
            err.flush();
            return 1;
        }
        log.info("the remote side ended the tunnel");
        return 0;
    }

    /** Standard input to the tunnel; at its end, half-closes the tunnel so that the remote side sees EOF. */
    private static void copyStandardInput(SocksStreams tunnel) {
        byte[] buffer = new byte[BUFFER_SIZE];
        OutputStream out = tunnel.output();
        try {
            for (int n; (n = System.in.read(buffer)) != -1; ) {
                out.write(buffer, 0, n);
                out.flush();
            }
            log.debug("end of standard input: half-closing the tunnel");
            tunnel.shutdownOutput();
        } catch (IOException e) {
            // the tunnel closed under us; the reading side reports how it ended
            log.debug("standard input to the tunnel stopped: {}", e.toString());
        }
    }
}
