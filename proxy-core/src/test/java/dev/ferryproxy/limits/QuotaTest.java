package dev.ferryproxy.limits;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalTime;

/** A quota's periods (a day from its reset time, a month from the 1st, in UTC) and the rate buckets. */
class QuotaTest {
    @Test
    void aDayStartsAtItsResetTime() {
        Quota quota = new Quota(100, Quota.Period.DAY, LocalTime.of(6, 0));
        Quota.Window before = quota.windowAt(Instant.parse("2026-12-07T05:59:59Z"));
        Quota.Window after = quota.windowAt(Instant.parse("2026-12-07T06:00:00Z"));
        assertThat(before.id()).isEqualTo("2026-12-06T06:00");
        assertThat(before.end()).isEqualTo(Instant.parse("2026-12-07T06:00:00Z"));
        assertThat(after.id()).isEqualTo("2026-12-07T06:00");
        assertThat(after.end()).isEqualTo(Instant.parse("2026-12-08T06:00:00Z"));
    }

    @Test
    void aMonthStartsOnTheFirst() {
        Quota quota = new Quota(100, Quota.Period.MONTH, LocalTime.MIDNIGHT);
        Quota.Window december = quota.windowAt(Instant.parse("2026-12-31T23:59:59Z"));
        assertThat(december.id()).isEqualTo("2026-12-01T00:00");
        assertThat(december.end()).isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
    }

    @Test
    void aRateBucketAllowsItsBurstThenItsRate() {
        Gcra bucket = new Gcra();
        long now = 1_000_000_000L;
        assertThat(bucket.tryTake(now, 1, 2)).isTrue();
        assertThat(bucket.tryTake(now, 1, 2)).isTrue();
        assertThat(bucket.tryTake(now, 1, 2)).as("past the burst").isFalse();
        assertThat(bucket.tryTake(now + 1_000_000_000L, 1, 2)).as("a second later").isTrue();
    }

    @Test
    void aBandwidthBucketSaysHowLongToWait() {
        Gcra bucket = new Gcra();
        long now = 0;
        assertThat(bucket.charge(now, 100_000, 1_000_000, 100_000)).as("within the burst").isZero();
        // 200,000 more bytes at 1 MB/s with 100,000 of burst: wait 0.2 s
        assertThat(bucket.charge(now, 200_000, 1_000_000, 100_000)).isEqualTo(200_000_000L);
    }
}
