package dev.ferryproxy.resolve;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostNamesTest {
    @ParameterizedTest
    @ValueSource(strings = {"localhost", "example.com", "example.com.", "a", "xn--bcher-kva.example",
        "_service._tcp.example.org", "a-b.c-d.e", "123.example"})
    void acceptsHostNames(String name) {
        assertThat(HostNames.isValidHostName(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "a..b", ".a", "exa mple.com", "exa\u0000mple.com", "b\u00fccher.de",
        "host:80", "a/b", "line\nbreak", "tab\there"})
    void rejectsWhatCannotBeAHostName(String name) {
        assertThat(HostNames.isValidHostName(name)).isFalse();
    }

    @Test
    void labelsAreCappedAt63AndNamesAt253() {
        String label63 = "a".repeat(63);
        assertThat(HostNames.isValidHostName(label63 + ".example")).isTrue();
        assertThat(HostNames.isValidHostName("a".repeat(64) + ".example")).isFalse();

        String name253 = String.join(".", label63, label63, label63, "a".repeat(61));
        assertThat(name253).hasSize(253);
        assertThat(HostNames.isValidHostName(name253)).isTrue();
        assertThat(HostNames.isValidHostName(name253 + ".")).as("a trailing dot does not count").isTrue();
        assertThat(HostNames.isValidHostName(name253 + "a")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"invalid", "foo.invalid", "a.b.INVALID", "foo.invalid."})
    void recognisesTheInvalidSpecialUseDomain(String name) {
        assertThat(HostNames.isUnderInvalidDomain(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"invalid.example.com", "notinvalid", "foo.invalidx", "example.com"})
    void leavesOtherNamesAlone(String name) {
        assertThat(HostNames.isUnderInvalidDomain(name)).isFalse();
    }
}
