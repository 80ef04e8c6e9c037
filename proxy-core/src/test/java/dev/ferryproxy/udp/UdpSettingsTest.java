package dev.ferryproxy.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.policy.PortRange;
import org.junit.jupiter.api.Test;

import java.time.Duration;

class UdpSettingsTest {
    @Test
    void aPortRangeWithPortZeroIsRefused() {
        assertThatThrownBy(() -> new UdpSettings(true, PortRange.of(0, 100), Duration.ofMinutes(2), 1000, 10, 0, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port 0");
        assertThat(new UdpSettings(true, PortRange.of(1, 100), Duration.ofMinutes(2), 1000, 10, 0, false).ports())
                .isEqualTo(PortRange.of(1, 100));
    }

    @Test
    void theDefaultsAreOnWithTheDocumentedLimits() {
        UdpSettings defaults = UdpSettings.DEFAULT;
        assertThat(defaults.enabled()).isTrue();
        assertThat(defaults.ports()).isNull();
        assertThat(defaults.idleTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(defaults.maxDatagramBytes()).isEqualTo(65_507);
        assertThat(defaults.maxDestinations()).isEqualTo(1024);
        assertThat(defaults.maxPacketsPerSecond()).isEqualTo(100_000);
        assertThat(defaults.repliesFromAnySource()).isFalse();
        assertThat(defaults.withEnabled(false).enabled()).isFalse();
    }
}
