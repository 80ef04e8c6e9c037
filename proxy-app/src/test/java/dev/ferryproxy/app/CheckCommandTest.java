package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.client.SocksProtocol;
import dev.ferryproxy.client.SocksReply;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

class CheckCommandTest {
    private static byte[] send(String text) {
        return new CheckCommand.SendTextConverter().convert(text).bytes();
    }

    @Test
    void sendTextTakesEscapes() {
        assertThat(send("HEAD / HTTP/1.0\\r\\n\\r\\n")).isEqualTo("HEAD / HTTP/1.0\r\n\r\n".getBytes());
        assertThat(send("a\\tb\\\\c\\0")).containsExactly('a', '\t', 'b', '\\', 'c', 0);
        assertThat(send("\\x00\\xfF\\x41")).containsExactly(0, 0xFF, 'A');
        assertThat(send("plain")).isEqualTo("plain".getBytes());
        assertThat(send("")).isEmpty();
    }

    @Test
    void sendTextIsUtf8() {
        assertThat(send("é\\n")).containsExactly(0xC3, 0xA9, '\n');
    }

    @ParameterizedTest
    @ValueSource(strings = {"ends with \\", "\\q", "\\x4", "\\xZZ"})
    void sendTextRefusesBadEscapes(String text) {
        assertThatThrownBy(() -> send(text)).isInstanceOf(TypeConversionException.class);
    }

    @Test
    void namesTheMethods() {
        assertThat(CheckCommand.methodName(0x00)).isEqualTo("no authentication (0x00)");
        assertThat(CheckCommand.methodName(0x01)).isEqualTo("GSSAPI (0x01)");
        assertThat(CheckCommand.methodName(0x02)).isEqualTo("username/password (0x02)");
        assertThat(CheckCommand.methodName(0x03)).isEqualTo("IANA method (0x03)");
        assertThat(CheckCommand.methodName(0x80)).isEqualTo("private method (0x80)");
        assertThat(CheckCommand.methodName(0xFF)).isEqualTo("no acceptable methods (0xFF)");
    }

    @Test
    void replyCodesInHexForSocks5AndDecimalForSocks4() {
        InetSocketAddress bound = InetSocketAddress.createUnresolved("proxy", 1);
        assertThat(CheckCommand.replyCode(new SocksReply(SocksProtocol.SOCKS5H, 5, "connection refused", bound)))
                .isEqualTo("0x05");
        assertThat(CheckCommand.replyCode(new SocksReply(SocksProtocol.SOCKS4A, 91, "request rejected or failed",
                bound))).isEqualTo("91");
    }
}
