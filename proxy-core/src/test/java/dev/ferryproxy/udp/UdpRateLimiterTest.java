package dev.ferryproxy.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

class UdpRateLimiterTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final long START = 1_000 * SECOND;

    @Test
    void aFullBucketLetsOneSecondsWorthThroughAtOnce() {
        UdpRateLimiter limiter = UdpRateLimiter.perSecond(10, START);
        for (int i = 0; i < 10; i++) {
            assertThat(limiter.tryAcquire(START)).as("datagram %d", i).isTrue();
        }
        assertThat(limiter.tryAcquire(START)).isFalse();
    }

    @Test
    void tokensComeBackAtTheRate() {
        UdpRateLimiter limiter = UdpRateLimiter.perSecond(10, START);
        for (int i = 0; i < 10; i++) {
            limiter.tryAcquire(START);
        }
        assertThat(limiter.tryAcquire(START + SECOND / 20)).as("half a token later").isFalse();
        assertThat(limiter.tryAcquire(START + SECOND / 10)).as("one token later").isTrue();
        assertThat(limiter.tryAcquire(START + SECOND / 10)).isFalse();
        long twoSecondsLater = START + 2 * SECOND;
        int taken = 0;
        while (limiter.tryAcquire(twoSecondsLater)) {
            taken++;
        }
        assertThat(taken).as("never more than a second's worth saved up").isEqualTo(10);
    }

    @Test
    void overAnyLongerStretchTheRateHolds() {
        UdpRateLimiter limiter = UdpRateLimiter.perSecond(100, START);
        int taken = 0;
        // one attempt every millisecond for ten seconds: 100 up front, then 100 a second
        for (long t = 0; t < 10 * SECOND; t += TimeUnit.MILLISECONDS.toNanos(1)) {
            if (limiter.tryAcquire(START + t)) {
                taken++;
            }
        }
        assertThat(taken).isBetween(1_090, 1_100);
    }

    @Test
    void timeGoingBackwardsGivesNothing() {
        UdpRateLimiter limiter = UdpRateLimiter.perSecond(1, START);
        assertThat(limiter.tryAcquire(START)).isTrue();
        assertThat(limiter.tryAcquire(START - SECOND)).isFalse();
        assertThat(limiter.tryAcquire(START + SECOND)).isTrue();
    }

    @Test
    void zeroMeansNoLimiter() {
        assertThat(UdpRateLimiter.perSecond(0, START)).isNull();
        assertThatThrownBy(() -> UdpRateLimiter.perSecond(-1, START)).isInstanceOf(IllegalArgumentException.class);
    }
}
