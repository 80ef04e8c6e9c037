package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PasswdCommandTest {
    private static String firstLine(String input) throws Exception {
        return new String(PasswdCommand.readLine(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8))),
                StandardCharsets.UTF_8);
    }

    @Test
    void readsTheFirstLineWithoutItsLineEnd() throws Exception {
        assertThat(firstLine("s3cret\nignored\n")).isEqualTo("s3cret");
        assertThat(firstLine("s3cret\r\n")).isEqualTo("s3cret");
        assertThat(firstLine("no newline")).isEqualTo("no newline");
        assertThat(firstLine(" spaces kept ")).isEqualTo(" spaces kept ");
        assertThat(firstLine("pässwörd\n")).isEqualTo("pässwörd");
        assertThat(firstLine("")).isEmpty();
    }
}
