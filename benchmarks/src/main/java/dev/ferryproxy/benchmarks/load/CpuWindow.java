package dev.ferryproxy.benchmarks.load;

import java.io.IOException;

/**
 * CPU time over a measured window, of the generator's own process and of a server's process tree
 * (when its PID is known), turned into microseconds per operation and cores busy. The generator's
 * own figure says whether it, rather than the server, was the limit: near one core busy on a
 * generator pinned to one core, it was.
 */
final class CpuWindow {
    private static final long SELF = ProcessHandle.current().pid();

    private final Long serverPid;
    private final long selfStart;
    private final long serverStart;
    private long selfUsed = -1;
    private long serverUsed = -1;

    /** Starts the window now; {@code serverPid} may be {@code null} (no server figure). */
    CpuWindow(Long serverPid) {
        this.serverPid = serverPid;
        this.selfStart = read(SELF);
        this.serverStart = serverPid == null ? -1 : read(serverPid);
    }

    /** Ends the window now. */
    void end() {
        if (selfStart >= 0) {
            long now = read(SELF);
            selfUsed = now < 0 ? -1 : now - selfStart;
        }
        if (serverStart >= 0) {
            long now = read(serverPid);
            serverUsed = now < 0 ? -1 : now - serverStart;
        }
    }

    /** Adds {server,generator}_cpu_us_per_op and _cores, for {@code operations} over {@code seconds}. */
    void addFigures(Result result, long operations, double seconds) {
        if (serverUsed >= 0 && operations > 0) {
            result.figure("server_cpu_us_per_tunnel", serverUsed / 1000.0 / operations, "us")
                    .figure("server_cpu_cores", serverUsed / 1e9 / seconds, "cores")
                    .parameter("cpu_pid", serverPid);
        }
        if (selfUsed >= 0 && operations > 0) {
            result.figure("generator_cpu_us_per_tunnel", selfUsed / 1000.0 / operations, "us")
                    .figure("generator_cpu_cores", selfUsed / 1e9 / seconds, "cores");
        }
    }

    /** CPU nanoseconds of {@code pid}'s tree, or -1 where /proc cannot tell (not Linux, the process ended). */
    private static long read(long pid) {
        try {
            return ProcessCpu.nanos(pid);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
