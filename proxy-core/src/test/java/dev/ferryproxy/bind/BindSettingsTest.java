package dev.ferryproxy.bind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.policy.PortRange;
import org.junit.jupiter.api.Test;

import java.time.Duration;

/** BIND's settings: off by default, and no value that could not work. */
class BindSettingsTest {
    @Test
    void defaultsAreOffAnyPortAndAMinute() {
        assertThat(BindSettings.DEFAULT.enabled()).isFalse();
        assertThat(BindSettings.DEFAULT.ports()).isNull();
        assertThat(BindSettings.DEFAULT.acceptTimeout()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void withersChangeOneSettingEach() {
        BindSettings settings = BindSettings.DEFAULT.withEnabled(true).withPorts(PortRange.of(40000, 40010))
                .withAcceptTimeout(Duration.ofSeconds(5));
        assertThat(settings).isEqualTo(new BindSettings(true, PortRange.of(40000, 40010), Duration.ofSeconds(5)));
    }

    @Test
    void refusesATimeoutThatIsNotPositive() {
        assertThatThrownBy(() -> BindSettings.DEFAULT.withAcceptTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("acceptTimeout");
    }

    /** Port 0 asks the system for any port, which would leave the range. */
    @Test
    void refusesARangeWithPortZero() {
        assertThatThrownBy(() -> BindSettings.DEFAULT.withPorts(PortRange.of(0, 10)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bind ports: 0-10");
    }
}
