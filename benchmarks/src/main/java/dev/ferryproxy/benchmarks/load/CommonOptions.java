package dev.ferryproxy.benchmarks.load;

import dev.ferryproxy.client.ProxyUri;
import dev.ferryproxy.transport.TransportKind;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;

/** The options every workload takes: where to go, for how long, and where the figures go. */
final class CommonOptions {
    @Option(names = "--proxy", paramLabel = "URI",
            description = "The SOCKS server to measure, e.g. socks5://user:pass@127.0.0.1:1080 "
                    + "(socks4, socks4a, socks5, socks5h). Absent: straight to the targets (direct loopback).")
    String proxy;

    @Option(names = "--targets", paramLabel = "SPEC",
            description = "Targets already running (what 'targets' mode prints): "
                    + "sink=HOST:PORT,source=HOST:PORT,echo=HOST:PORT,udp-echo=HOST:PORT. Absent: started in this process.")
    String targets;

    @Option(names = "--target-host", paramLabel = "HOST",
            description = "The host the proxy is asked to dial for the targets (default: the address they listen on).")
    String targetHost;

    @Option(names = "--target-bind", paramLabel = "IP", defaultValue = "127.0.0.1",
            description = "Where the in-process targets listen (default: ${DEFAULT-VALUE}).")
    String targetBind;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "How long to measure, after the warm-up (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "0s", converter = DurationConverter.class,
            description = "Load before measuring, reported only as samples (default: ${DEFAULT-VALUE}).")
    Duration warmup;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Event loops of the generator and of in-process targets, each (default: one per usable core).")
    int threads;

    @Option(names = "--transport", paramLabel = "KIND", defaultValue = "auto",
            description = "auto, epoll or nio (default: ${DEFAULT-VALUE}).")
    String transport;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "Connect and handshake timeout of one tunnel (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--server-pid", paramLabel = "PID",
            description = "The server's process: its memory (VmRSS and Pss, with its child processes) is read from /proc.")
    Long serverPid;

    @Option(names = "--cpu-pid", paramLabel = "PID",
            description = "The process whose CPU time (utime+stime from /proc, with its child processes) per "
                    + "tunnel connect-rate reports; default: --server-pid. For direct loopback, the targets' process.")
    Long cpuPid;

    @Option(names = "--targets-pid", paramLabel = "PID",
            description = "The targets' process, when they run in another process on the generator's core: connect-rate "
                    + "adds its CPU to the generator's (load_cpu_cores), to show whether the load side was the limit.")
    Long targetsPid;

    @Option(names = "--await-proxy", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Wait up to this long for the proxy to accept a TCP connection before starting (for a server "
                    + "just spawned); the wait is not measured.")
    Duration awaitProxy;

    @Option(names = "--time-origin", paramLabel = "EPOCH_MS",
            description = "Count the per-second samples' times from this wall-clock moment (milliseconds since the "
                    + "epoch, e.g. when the server was spawned: date +%s%3N) instead of from the start of the load.")
    Long timeOriginEpochMs;

    @Option(names = "--label", paramLabel = "NAME",
            description = "What the results are labelled with (default: direct, or the proxy URI without password).")
    String label;

    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text",
            description = "text, json (one line per result) or csv (default: ${DEFAULT-VALUE}).")
    String output;

    @Option(names = "--results", paramLabel = "FILE",
            description = "Also append each result as one JSON line to FILE.")
    Path resultsFile;

    /** The process whose CPU per operation is reported, or {@code null}. */
    Long cpuPidOrDefault() {
        return cpuPid != null ? cpuPid : serverPid;
    }

    ProxyUri proxyUri() {
        return proxy == null || proxy.isEmpty() || proxy.equals("direct") ? null : ProxyUri.parse(proxy);
    }

    TransportKind transportKind() {
        return TransportKind.valueOf(transport.toUpperCase(java.util.Locale.ROOT));
    }

    int threadsOrDefault() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    String labelOrDefault() {
        if (label != null) {
            return label;
        }
        ProxyUri uri = proxyUri();
        return uri == null ? "direct" : uri.toString();
    }

    Results.Format format() {
        return Results.Format.valueOf(output.toUpperCase(java.util.Locale.ROOT));
    }
}
