package dev.ferryproxy.benchmarks.load;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(30)
class ProcessCpuTest {
    @Test
    void readsUserSystemAndWaitedForChildrensTicksPastACommandNameWithSpacesAndParentheses() throws Exception {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 30 0 123 456 789";
        assertThat(ProcessCpu.ticks(stat)).isEqualTo(250 + 50 + 7 + 3);
    }

    @Test
    void aLineWithoutACommandNameIsRefused() {
        assertThatThrownBy(() -> ProcessCpu.ticks("garbage")).isInstanceOf(java.io.IOException.class);
    }

    @Test
    void thisProcessesCpuGrowsWhileItWorks() throws Exception {
        long pid = ProcessHandle.current().pid();
        long before = ProcessCpu.nanos(pid);
        long deadline = System.nanoTime() + 10_000_000_000L;
        long sink = 0;
        // Work until the kernel's count moves (a tick is 10 ms), bounded by time.
        while (ProcessCpu.nanos(pid) == before && System.nanoTime() < deadline) {
            for (int i = 0; i < 1_000_000; i++) {
                sink += i ^ sink;
            }
        }
        assertThat(sink).isNotEqualTo(42);
        assertThat(ProcessCpu.nanos(pid)).isGreaterThan(before);
    }
}
