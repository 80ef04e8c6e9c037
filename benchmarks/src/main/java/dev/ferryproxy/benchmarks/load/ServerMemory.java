package dev.ferryproxy.benchmarks.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A server's memory, read from /proc: VmRSS (from {@code status}) and Pss (from
 * {@code smaps_rollup}), summed over the process and its descendants. Dante forks workers that
 * share pages, so their RSS sum counts shared pages more than once; Pss shares them out.
 */
public final class ServerMemory {
    /**
     * One reading.
     *
     * @param rssBytes VmRSS summed over the processes
     * @param pssBytes Pss summed over the processes (0 where smaps_rollup cannot be read)
     * @param processes how many processes were read
     */
    public record Reading(long rssBytes, long pssBytes, int processes) {
    }

    private ServerMemory() {
    }

    /**
     * Reads {@code pid} and its descendants.
     *
     * @throws IOException when the process itself cannot be read (it has exited, or /proc is absent)
     */
    public static Reading read(long pid) throws IOException {
        List<Long> pids = new ArrayList<>();
        pids.add(pid);
        ProcessHandle.of(pid).ifPresent(p -> p.descendants().forEach(d -> pids.add(d.pid())));
        long rss = 0;
        long pss = 0;
        int read = 0;
        for (long each : pids) {
            long vmRss;
            try {
                vmRss = kibField(Path.of("/proc", Long.toString(each), "status"), "VmRSS:");
            } catch (IOException e) {
                if (each == pid) {
                    throw e;
                }
                continue; // a child that ended in between
            }
            rss += vmRss;
            try {
                pss += kibField(Path.of("/proc", Long.toString(each), "smaps_rollup"), "Pss:");
            } catch (IOException e) {
                // older kernels, or no permission: Pss stays partial, RSS is what counts
            }
            read++;
        }
        return new Reading(rss * 1024, pss * 1024, read);
    }

    /** The value in KiB of the line starting with {@code field}, e.g. {@code VmRSS:   123456 kB}. */
    private static long kibField(Path file, String field) throws IOException {
        for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
            if (line.startsWith(field)) {
                String[] parts = line.substring(field.length()).trim().split("\\s+");
                return Long.parseLong(parts[0]);
            }
        }
        throw new IOException(file + ": no " + field + " line");
    }
}
