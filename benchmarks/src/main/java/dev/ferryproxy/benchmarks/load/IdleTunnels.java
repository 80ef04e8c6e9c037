package dev.ferryproxy.benchmarks.load;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;

/**
 * Memory per idle tunnel: reads the server's memory, opens N tunnels to the echo target (each
 * proven by one echo), waits for the server to settle, reads it again, and divides.
 */
@Command(name = "idle-tunnels", mixinStandardHelpOptions = true,
        description = "Server memory (VmRSS, Pss) before and after opening N idle tunnels; needs --server-pid.")
final class IdleTunnels extends Workload {
    @Option(names = "--tunnels", paramLabel = "N", defaultValue = "1000",
            description = "Tunnels to hold open (default: ${DEFAULT-VALUE}); each takes a descriptor here and two in the server.")
    int tunnels;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "64",
            description = "Tunnels being opened at once (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--settle", paramLabel = "DURATION", defaultValue = "2s", converter = DurationConverter.class,
            description = "Wait after the last tunnel opened, before reading the memory again (default: ${DEFAULT-VALUE}).")
    Duration settle;

    @Override
    Result run(LoadContext context) throws Exception {
        if (context.serverPid() == null) {
            throw new IllegalArgumentException("idle-tunnels needs --server-pid (the process whose memory to read)");
        }
        long pid = context.serverPid();
        Result result = newResult("idle-tunnels", context).parameter("tunnels", tunnels).parameter("server_pid", pid);
        ServerMemory.Reading before = ServerMemory.read(pid);
        long began = System.nanoTime();
        // --duration bounds the opening; a server that stops accepting does not hang the run.
        TunnelBatch batch = TunnelBatch.open(context, context.targets().echo(), tunnels, parallel, common.duration,
                channel -> EchoExchange.install(channel, 1).exchange());
        double openSeconds = (System.nanoTime() - began) / 1e9;
        try {
            Thread.sleep(settle.toMillis());
            ServerMemory.Reading after = ServerMemory.read(pid);
            int open = batch.channels().size();
            double perTunnelRss = open == 0 ? 0 : (double) (after.rssBytes() - before.rssBytes()) / open;
            double perTunnelPss = open == 0 ? 0 : (double) (after.pssBytes() - before.pssBytes()) / open;
            result.figure("rss_bytes_per_tunnel", Math.round(perTunnelRss), "bytes")
                    .figure("pss_bytes_per_tunnel", Math.round(perTunnelPss), "bytes")
                    .figure("tunnels_open", open, "count")
                    .figure("rss_before_bytes", before.rssBytes(), "bytes")
                    .figure("rss_after_bytes", after.rssBytes(), "bytes")
                    .figure("pss_before_bytes", before.pssBytes(), "bytes")
                    .figure("pss_after_bytes", after.pssBytes(), "bytes")
                    .figure("server_processes", after.processes(), "count")
                    .figure("open_seconds", Math.round(openSeconds * 1000) / 1000.0, "s");
            if (batch.firstFailure() != null) {
                result.parameter("first_error", batch.firstFailure().toString());
            }
        } finally {
            batch.closeAll();
        }
        return result.errors(batch.failures());
    }
}
