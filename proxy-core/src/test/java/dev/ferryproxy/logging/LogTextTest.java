package dev.ferryproxy.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogTextTest {
    @Test
    void lineBreaksAndControlCharactersBecomeEscapes() {
        assertThat(LogText.escape("a\nb\rc\u0000d\u001be\u007ff\u0085g")).isEqualTo("a\\x0ab\\x0dc\\x00d\\x1be\\x7ff\\x85g");
        assertThat(LogText.escape("a\u2028b\u2029c")).as("Unicode line and paragraph separators").isEqualTo("a\\u2028b\\u2029c");
    }

    @Test
    void textThatReadsOtherwiseThanItIsIsEscaped() {
        assertThat(LogText.escape("admin\u202egnp.exe")).as("a right-to-left override").isEqualTo("admin\\u202egnp.exe");
        assertThat(LogText.escape("ad\u200bmin")).as("a zero-width space").isEqualTo("ad\\u200bmin");
        assertThat(LogText.escape("x\ud800y")).as("a lone surrogate").isEqualTo("x\\ud800y");
    }

    @Test
    void theQuoteAndTheBackslashAreEscapedSoEveryEscapeIsOurs() {
        assertThat(LogText.escape("bob') for 10.0.0.1 (user 'root")).isEqualTo("bob\\x27) for 10.0.0.1 (user \\x27root");
        assertThat(LogText.escape("a\\x0ab")).as("a client's own escape text").isEqualTo("a\\x5cx0ab");
    }

    @Test
    void lettersOfAnyScriptAndPlainTextStayAsTheyAre() {
        String plain = "alice@example.com-1_2.3";
        assertThat(LogText.escape(plain)).isSameAs(plain);
        assertThat(LogText.escape("jörg Ωμέγα 名前 \ud83d\ude00")).isEqualTo("jörg Ωμέγα 名前 \ud83d\ude00");
        assertThat(LogText.escape(null)).isNull();
    }

    @Test
    void aWholeMessageKeepsItsQuotesAndTabsButNotItsLineBreaks() {
        assertThat(LogText.oneLine("login as 'bob' failed\tat C:\\path\nforged"))
                .isEqualTo("login as 'bob' failed\tat C:\\path\\x0aforged");
    }
}
