package dev.ferryproxy.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DomainPatternTest {
    @ParameterizedTest
    @ValueSource(strings = {"example.com", "EXAMPLE.com", "Example.Com.", "example.com."})
    void anExactPatternMatchesTheNameInAnyCaseWithOrWithoutTrailingDot(String name) {
        assertThat(DomainPattern.parse("example.com").matches(name)).isTrue();
        assertThat(DomainPattern.parse("Example.COM.").matches(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"www.example.com", "com", "notexample.com", "example.org", "example.com.evil",
        "example.co", "xample.com", "example.com..", ""})
    void anExactPatternMatchesNothingElse(String name) {
        assertThat(DomainPattern.parse("example.com").matches(name)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"www.example.com", "a.b.c.example.com", "WWW.EXAMPLE.COM.", "_sip._tcp.example.com",
        "x.example.com"})
    void aWildcardMatchesNamesStrictlyUnderTheDomain(String name) {
        assertThat(DomainPattern.parse("*.example.com").matches(name)).isTrue();
        assertThat(DomainPattern.parse("*.EXAMPLE.com.").matches(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"example.com", "example.com.", "notexample.com", "www.notexample.com", ".example.com",
        "www.example.org", "example.com.evil.net", "com"})
    void aWildcardDoesNotMatchTheDomainItselfNorLookalikes(String name) {
        assertThat(DomainPattern.parse("*.example.com").matches(name)).isFalse();
    }

    @Test
    void aLoneStarMatchesEveryName() {
        DomainPattern any = DomainPattern.parse("*");
        assertThat(any.matches("example.com")).isTrue();
        assertThat(any.matches("localhost")).isTrue();
        assertThat(any.matches("a")).isTrue();
        assertThat(any.isWildcard()).isTrue();
        assertThat(any).hasToString("*");
        assertThat(DomainPattern.parse("*.")).as("a trailing dot changes nothing").isEqualTo(any);
    }

    @Test
    void foldsAsciiCaseOnly() {
        // U+212A KELVIN SIGN lower-cases to 'k' in Java; DNS would treat it as a different byte
        assertThat(DomainPattern.parse("kelvin.example").matches("\u212Aelvin.example")).isFalse();
    }

    @Test
    void printsTheNormalizedPattern() {
        assertThat(DomainPattern.parse("*.Example.COM.")).hasToString("*.example.com")
                .isEqualTo(DomainPattern.parse("*.example.com"))
                .hasSameHashCodeAs(DomainPattern.parse("*.example.com"));
        assertThat(DomainPattern.parse("Example.COM").isWildcard()).isFalse();
        assertThat(DomainPattern.parse("*.example.com").isWildcard()).isTrue();
    }

    @Test
    void acceptsNamesThatOnlyLookNumeric() {
        // all-numeric but not an address: such names do reach DNS, so a pattern for them is meaningful
        assertThat(DomainPattern.parse("256.1.1.1").matches("256.1.1.1")).isTrue();
        assertThat(DomainPattern.parse("1.example").matches("1.example")).isTrue();
        assertThat(DomainPattern.parse("*.1.2.3").matches("a.1.2.3")).isTrue();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "\"\"           | '' is not a host name (it is empty)",
        "foo..com       | 'foo..com' has an empty label",
        ".example.com   | '.example.com' has an empty label",
        "*..example.com | '*..example.com' has an empty label",
        "*foo.com       | '*foo.com': '*' is only allowed alone or as the whole first label (e.g. *.example.com)",
        "foo.*.com      | 'foo.*.com': '*' is only allowed alone or as the whole first label (e.g. *.example.com)",
        "*.*.com        | '*.*.com': '*' is only allowed alone or as the whole first label (e.g. *.example.com)",
        "**             | '**': '*' is only allowed alone or as the whole first label (e.g. *.example.com)",
        "exa mple.com   | 'exa mple.com': ' ' cannot be in a host name (allowed: letters, digits, '-', '_'; write internationalized names in punycode)",
        "b\u00fccher.de | 'b\u00fccher.de': '\u00fc' cannot be in a host name (allowed: letters, digits, '-', '_'; write internationalized names in punycode)",
        "127.0.0.1      | '127.0.0.1' is an IP address, not a name (match addresses with a destination network, e.g. 10.0.0.0/8)",
        "127.1          | '127.1' is an IP address, not a name (match addresses with a destination network, e.g. 10.0.0.0/8)",
        "::1            | '::1' is an IP address, not a name (match addresses with a destination network, e.g. 10.0.0.0/8)",
        "[::1]          | '[::1]' is an IP address, not a name (match addresses with a destination network, e.g. 10.0.0.0/8)",
    })
    void refusesWhatCannotMatchAHostName(String text, String message) {
        assertThatThrownBy(() -> DomainPattern.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void capsLabelsAt63AndNamesAt253() {
        String label63 = "a".repeat(63);
        assertThat(DomainPattern.parse(label63 + ".example").matches(label63 + ".example")).isTrue();
        assertThatThrownBy(() -> DomainPattern.parse("a".repeat(64) + ".example"))
                .hasMessageEndingWith("has a label longer than 63 characters");

        String name253 = String.join(".", label63, label63, label63, "a".repeat(61));
        assertThat(DomainPattern.parse(name253).matches(name253 + ".")).isTrue();
        assertThatThrownBy(() -> DomainPattern.parse(name253 + "a"))
                .hasMessageEndingWith("is longer than 253 characters");
    }
}
