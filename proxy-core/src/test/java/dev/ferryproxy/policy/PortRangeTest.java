package dev.ferryproxy.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PortRangeTest {
    @Test
    void aSinglePortContainsOnlyItself() {
        PortRange https = PortRange.parse("443");
        assertThat(https.contains(443)).isTrue();
        assertThat(https.contains(442)).isFalse();
        assertThat(https.contains(444)).isFalse();
        assertThat(https).hasToString("443");
    }

    @Test
    void aRangeIncludesBothEnds() {
        PortRange range = PortRange.parse("8000-8100");
        assertThat(range.contains(7999)).isFalse();
        assertThat(range.contains(8000)).isTrue();
        assertThat(range.contains(8050)).isTrue();
        assertThat(range.contains(8100)).isTrue();
        assertThat(range.contains(8101)).isFalse();
        assertThat(range.lo()).isEqualTo(8000);
        assertThat(range.hi()).isEqualTo(8100);
        assertThat(range).hasToString("8000-8100");
    }

    @Test
    void everyPortFrom0To65535IsValid() {
        assertThat(PortRange.parse("0").contains(0)).isTrue();
        assertThat(PortRange.parse("65535").contains(65535)).isTrue();
        PortRange all = PortRange.parse("0-65535");
        assertThat(all.contains(0)).isTrue();
        assertThat(all.contains(65535)).isTrue();
        assertThat(PortRange.parse("7-7")).isEqualTo(PortRange.parse("7")).hasToString("7");
    }

    @Test
    void buildsFromBounds() {
        assertThat(PortRange.of(8000, 8100)).isEqualTo(PortRange.parse("8000-8100"))
                .hasSameHashCodeAs(PortRange.parse("8000-8100"));
        assertThat(PortRange.of(0, 65535)).isEqualTo(PortRange.parse("0-65535"));
        assertThatThrownBy(() -> PortRange.of(-1, 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("port -1 is out of range (expected: 0-65535)");
        assertThatThrownBy(() -> PortRange.of(5, 65536)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("port 65536 is out of range (expected: 0-65535)");
        assertThatThrownBy(() -> PortRange.of(9, 8)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("port range 9-8 is empty (9 > 8)");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "65536       | '65536': port 65536 is out of range (expected: 0-65535)",
        "99999999999 | '99999999999': port 99999999999 is out of range (expected: 0-65535)",
        "80-70000    | '80-70000': port 70000 is out of range (expected: 0-65535)",
        "9000-8000   | '9000-8000': the range is empty (9000 > 8000; write the lower port first)",
    })
    void refusesOutOfRangeAndEmptyRanges(String text, String message) {
        assertThatThrownBy(() -> PortRange.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "-", "80-", "-80", "+80", " 80", "80 ", "80 - 90", "1-2-3", "0x50", "8o"})
    void refusesWhatIsNotAPortOrARange(String text) {
        assertThatThrownBy(() -> PortRange.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'" + text + "' is not a port or a port range (expected: a port 0-65535 or LO-HI,"
                        + " e.g. 443 or 8000-8100)");
    }
}
