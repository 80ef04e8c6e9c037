package dev.ferryproxy.benchmarks.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The CPU time a process has used, read from {@code /proc/PID/stat}: utime + stime of the process
 * and of its live descendants (Dante forks workers), plus cutime + cstime, the time of children
 * that have ended and been waited for (so a worker that exits mid-run still counts). The kernel
 * reports clock ticks of USER_HZ, which is 100 on every Linux architecture the project runs on:
 * 10 ms resolution, so a window needs seconds of load to give a per-operation figure.
 */
public final class ProcessCpu {
    /** USER_HZ: what {@code getconf CLK_TCK} prints; /proc counts in these whatever the kernel's HZ. */
    static final long NANOS_PER_TICK = 10_000_000L;

    private ProcessCpu() {
    }

    /**
     * CPU nanoseconds used so far by {@code pid} and its descendants.
     *
     * @throws IOException when the process itself cannot be read (it has exited, or /proc is absent)
     */
    public static long nanos(long pid) throws IOException {
        List<Long> pids = new ArrayList<>();
        pids.add(pid);
        ProcessHandle.of(pid).ifPresent(p -> p.descendants().forEach(d -> pids.add(d.pid())));
        long ticks = 0;
        for (long each : pids) {
            try {
                ticks += ticks(Files.readString(Path.of("/proc", Long.toString(each), "stat"), StandardCharsets.US_ASCII));
            } catch (IOException e) {
                if (each == pid) {
                    throw e;
                }
                // a child that ended in between: its parent's cutime has it once it is waited for
            }
        }
        return ticks * NANOS_PER_TICK;
    }

    /** utime + stime + cutime + cstime (fields 14 to 17) of one {@code stat} line. */
    static long ticks(String stat) throws IOException {
        // The command name (field 2) is in parentheses and may hold spaces: count from its end.
        int end = stat.lastIndexOf(')');
        if (end < 0) {
            throw new IOException("not a /proc stat line: " + stat);
        }
        String[] fields = stat.substring(end + 2).trim().split("\\s+");
        // fields[0] is field 3 (state), so field N is fields[N - 3]
        if (fields.length < 15) {
            throw new IOException("a /proc stat line too short: " + stat);
        }
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]) + Long.parseLong(fields[13])
                + Long.parseLong(fields[14]);
    }
}
