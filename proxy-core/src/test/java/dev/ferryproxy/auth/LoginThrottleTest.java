package dev.ferryproxy.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {
    private static final LoginThrottle.Settings SETTINGS = new LoginThrottle.Settings(
            Duration.ofMillis(100), Duration.ofMillis(700), 5, Duration.ofMinutes(5), Duration.ofMinutes(15));

    /** Time that moves only when the test says so. */
    private final AtomicLong nanos = new AtomicLong();
    private final Ticker ticker = nanos::get;
    private final LoginThrottle throttle = new LoginThrottle(SETTINGS, ticker);

    @Test
    void delayDoublesWithEachFailureUpToTheCap() throws Exception {
        InetAddress client = InetAddress.getByName("192.0.2.7");
        assertThat(throttle.recordFailure(client)).isEqualTo(Duration.ofMillis(100));
        assertThat(throttle.recordFailure(client)).isEqualTo(Duration.ofMillis(200));
        assertThat(throttle.recordFailure(client)).isEqualTo(Duration.ofMillis(400));
        assertThat(throttle.recordFailure(client)).isEqualTo(Duration.ofMillis(700));
    }

    @Test
    void countsFailedLogins() throws Exception {
        InetAddress client = InetAddress.getByName("192.0.2.13");
        throttle.recordFailure(client);
        throttle.recordFailure(client);
        assertThat(throttle.failedLogins()).isEqualTo(2);
    }

    @Test
    void onlyFailuresCountNotLoginsUnderWay() throws Exception {
        // A check that was refused or abandoned never reaches the throttle: nothing but recordFailure
        // brings an address nearer its lockout, and a success in between clears it.
        InetAddress client = InetAddress.getByName("192.0.2.14");
        for (int i = 0; i < 4; i++) {
            throttle.recordFailure(client);
        }
        assertThat(throttle.isLockedOut(client)).isFalse();
        throttle.recordSuccess(client);
        throttle.recordFailure(client);
        assertThat(throttle.isLockedOut(client)).isFalse();
    }

    @Test
    void locksOutAfterTheLimitUntilTheLockoutEnds() throws Exception {
        InetAddress client = InetAddress.getByName("192.0.2.8");
        for (int i = 0; i < 4; i++) {
            throttle.recordFailure(client);
            assertThat(throttle.isLockedOut(client)).as("after %d failures", i + 1).isFalse();
        }
        throttle.recordFailure(client);
        assertThat(throttle.isLockedOut(client)).isTrue();

        nanos.addAndGet(Duration.ofMinutes(5).minusSeconds(1).toNanos());
        assertThat(throttle.isLockedOut(client)).isTrue();
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(throttle.isLockedOut(client)).isFalse();

        throttle.recordFailure(client);
        assertThat(throttle.isLockedOut(client)).as("one more failure after a lockout locks again").isTrue();
    }

    @Test
    void successClearsTheRecord() throws Exception {
        InetAddress client = InetAddress.getByName("192.0.2.9");
        for (int i = 0; i < 5; i++) {
            throttle.recordFailure(client);
        }
        throttle.recordSuccess(client);
        assertThat(throttle.isLockedOut(client)).isFalse();
        assertThat(throttle.recordFailure(client)).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void failuresAreForgottenAfterQuietTime() throws Exception {
        InetAddress client = InetAddress.getByName("192.0.2.10");
        throttle.recordFailure(client);
        throttle.recordFailure(client);
        nanos.addAndGet(Duration.ofMinutes(16).toNanos());
        assertThat(throttle.recordFailure(client)).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void addressesAreCountedApartButIpv6PerSlash64() throws Exception {
        InetAddress a = InetAddress.getByName("192.0.2.11");
        InetAddress b = InetAddress.getByName("192.0.2.12");
        for (int i = 0; i < 5; i++) {
            throttle.recordFailure(a);
        }
        assertThat(throttle.isLockedOut(a)).isTrue();
        assertThat(throttle.isLockedOut(b)).isFalse();

        for (int i = 0; i < 5; i++) {
            throttle.recordFailure(InetAddress.getByName("2001:db8:1:2::" + (i + 1)));
        }
        assertThat(throttle.isLockedOut(InetAddress.getByName("2001:db8:1:2:ffff::9"))).as("same /64").isTrue();
        assertThat(throttle.isLockedOut(InetAddress.getByName("2001:db8:1:3::1"))).as("other /64").isFalse();
    }
}
