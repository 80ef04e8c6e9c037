package dev.ferryproxy.benchmarks.load;

import java.io.IOException;

/**
 * CPU time over a measured window, of the generator's own process, of a server's process tree
 * (when its PID is known) and of the targets' process (when they run apart), turned into microseconds per operation and cores busy. The generator's
 * own figure says whether it, rather than the server, was the limit: near one core busy on a
 * generator pinned to one core, it was.
 */
final class CpuWindow {
    private static final long SELF = ProcessHandle.current().pid();

    private final Long serverPid;
    private final Long targetsPid;
    private final long selfStart;
    private final long serverStart;
    private final long targetsStart;
    private long selfUsed = -1;
    private long serverUsed = -1;
    private long targetsUsed = -1;

    /**
     * Starts the window now.
     *
     * @param serverPid the server's process, or {@code null} (no server figure)
     * @param targetsPid the targets' process when they run apart from the generator, or {@code null}
     */
    CpuWindow(Long serverPid, Long targetsPid) {
        this.serverPid = serverPid;
        this.targetsPid = targetsPid;
        this.selfStart = read(SELF);
        this.serverStart = serverPid == null ? -1 : read(serverPid);
        this.targetsStart = targetsPid == null ? -1 : read(targetsPid);
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
        if (targetsStart >= 0) {
            long now = read(targetsPid);
            targetsUsed = now < 0 ? -1 : now - targetsStart;
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
            if (targetsUsed >= 0) {
                // The load side in all: with both on one core, near 1.0 means the load, not the server, was the limit.
                result.figure("targets_cpu_us_per_tunnel", targetsUsed / 1000.0 / operations, "us")
                        .figure("load_cpu_cores", (selfUsed + targetsUsed) / 1e9 / seconds, "cores");
            }
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
