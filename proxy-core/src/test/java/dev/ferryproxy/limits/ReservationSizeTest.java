package dev.ferryproxy.limits;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.time.LocalTime;
import java.util.concurrent.TimeUnit;

/**
 * How much quota a server reserves at once (docs/limits.md, "Across a fleet"): a quarter second of
 * the subject's use here, at least the batch, at most 1/16 of the quota and 64 MiB; and when
 * bandwidth is charged before its interval.
 */
class ReservationSizeTest {
    private static final long MIB = 1024 * 1024;
    private static final long BATCH = 256 * 1024;
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private static SubjectState subjectWithQuota(long bytes) {
        Limit limit = new Limit(0, 0, 0, 0, 0, new Quota(bytes, Quota.Period.MONTH, LocalTime.MIDNIGHT));
        return new SubjectState(new Subject("user:alice", "alice", limit));
    }

    /** Relays {@code bytes} (as reads of at most 64 KiB) and reserves again one second after {@code start}. */
    private static long reserveAfterRelaying(SubjectState subject, long bytes, long start) {
        subject.reservedLocally(bytes);
        for (long left = bytes; left > 0; left -= 65536) {
            subject.charge(Direction.DOWN, (int) Math.min(65536, left), start, true);
        }
        return subject.nextReservation(BATCH, start + SECOND);
    }

    @Test
    void theFirstReservationIsOneBatch() {
        assertThat(subjectWithQuota(1024 * MIB).nextReservation(BATCH, SECOND)).isEqualTo(BATCH);
    }

    @Test
    void aFastSubjectReservesAQuarterSecondOfItsUse() {
        SubjectState subject = subjectWithQuota(1024 * MIB);
        subject.nextReservation(BATCH, SECOND);
        assertThat(reserveAfterRelaying(subject, 100 * MIB, SECOND)).isEqualTo(25 * MIB);
        assertThat(subject.wantsReservation(BATCH)).as("with nothing of the 25 MiB granted yet").isTrue();
    }

    @Test
    void aReservationIsAtMostASixteenthOfTheQuotaAnd64MiB() {
        SubjectState small = subjectWithQuota(32 * MIB);
        small.nextReservation(BATCH, SECOND);
        assertThat(reserveAfterRelaying(small, 16 * MIB, SECOND)).isEqualTo(2 * MIB);

        SubjectState large = subjectWithQuota(1024L * 1024 * MIB);
        large.nextReservation(BATCH, SECOND);
        assertThat(reserveAfterRelaying(large, 1024 * MIB, SECOND)).isEqualTo(64 * MIB);
    }

    @Test
    void aSlowSubjectStillReservesOneBatch() {
        SubjectState subject = subjectWithQuota(1024 * MIB);
        subject.nextReservation(BATCH, SECOND);
        assertThat(reserveAfterRelaying(subject, 4096, SECOND)).isEqualTo(BATCH);
    }

    @Test
    void bandwidthIsChargedEarlyPastTheBatchOrOneIntervalOfTheLimit() {
        ClusterSettings settings = ClusterSettings.of(java.net.URI.create("redis://127.0.0.1:6379"));
        assertThat(Limiter.earlyChargeBytes(1 * MIB, settings)).as("100 ms of 1 MiB/s is under a batch").isEqualTo(BATCH);
        assertThat(Limiter.earlyChargeBytes(100 * MIB, settings)).as("100 ms of 100 MiB/s").isEqualTo(10 * MIB);
    }
}
