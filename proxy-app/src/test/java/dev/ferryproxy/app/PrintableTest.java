package dev.ferryproxy.app;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PrintableTest {
    @Test
    void quotesPrintableAsciiAndEscapesTheRest() {
        assertThat(Printable.quote("GET / HTTP/1.0\r\n\t\"x\"\\".getBytes(US_ASCII), 100))
                .isEqualTo("\"GET / HTTP/1.0\\r\\n\\t\\\"x\\\"\\\\\"");
        assertThat(Printable.quote(new byte[] {0, (byte) 0xFF, 0x7F, 'a'}, 100)).isEqualTo("\"\\x00\\xFF\\x7Fa\"");
    }

    @Test
    void showsAtMostMaxBytesAndSaysThereWasMore() {
        assertThat(Printable.quote("abcdef".getBytes(US_ASCII), 3)).isEqualTo("\"abc\"...");
        assertThat(Printable.quote("abc".getBytes(US_ASCII), 3)).isEqualTo("\"abc\"");
        assertThat(Printable.quote(new byte[0], 3)).isEqualTo("\"\"");
    }

    @Test
    void countsBytesInWords() {
        assertThat(Printable.bytes(0)).isEqualTo("0 bytes");
        assertThat(Printable.bytes(1)).isEqualTo("1 byte");
        assertThat(Printable.bytes(16)).isEqualTo("16 bytes");
    }

    @Test
    void printsDurationsAsWritten() {
        assertThat(Printable.duration(Duration.ofMillis(300))).isEqualTo("300 ms");
        assertThat(Printable.duration(Duration.ofSeconds(2))).isEqualTo("2 s");
        assertThat(Printable.duration(Duration.ofMillis(1500))).isEqualTo("1.5 s");
    }
}
