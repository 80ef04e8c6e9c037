package dev.ferryproxy.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;

class ProxyUriTest {
    @ParameterizedTest
    @CsvSource({
        "socks4://proxy.example,         SOCKS4,  proxy.example, 1080",
        "socks4a://10.0.0.1:1081,        SOCKS4A, 10.0.0.1,      1081",
        "socks5://[::1]:65535,           SOCKS5,  ::1,           65535",
        "socks5h://[2001:db8::7],        SOCKS5H, 2001:db8::7,   1080",
        "SOCKS5H://Proxy.Example:1/,     SOCKS5H, Proxy.Example, 1",
    })
    void parsesSchemeHostAndPort(String uri, SocksProtocol protocol, String host, int port) {
        ProxyUri parsed = ProxyUri.parse(uri);
        assertThat(parsed.protocol()).isEqualTo(protocol);
        assertThat(parsed.host()).isEqualTo(host);
        assertThat(parsed.port()).isEqualTo(port);
        assertThat(parsed.hasCredentials()).isFalse();
        assertThat(parsed.address()).isEqualTo(InetSocketAddress.createUnresolved(host, port));
        assertThat(parsed.address().isUnresolved()).isTrue();
    }

    @Test
    void protocolsKnowWhoResolvesAndTheirScheme() {
        assertThat(SocksProtocol.SOCKS4.resolvesAtProxy()).isFalse();
        assertThat(SocksProtocol.SOCKS4A.resolvesAtProxy()).isTrue();
        assertThat(SocksProtocol.SOCKS5.resolvesAtProxy()).isFalse();
        assertThat(SocksProtocol.SOCKS5H.resolvesAtProxy()).isTrue();
        for (SocksProtocol protocol : SocksProtocol.values()) {
            assertThat(SocksProtocol.fromScheme(protocol.scheme())).isEqualTo(protocol);
        }
    }

    @Test
    void credentialsArePercentDecodedAsUtf8() {
        ProxyUri parsed = ProxyUri.parse("socks5h://al%C3%AFce:p%40ss%3Aw%2Frd%25@host:1080");
        assertThat(parsed.username()).isEqualTo("al\u00efce");
        assertThat(parsed.password()).isEqualTo("p@ss:w/rd%");
        assertThat(parsed.hasCredentials()).isTrue();
        // a colon in the password needs no escape: the user ends at the first one
        assertThat(ProxyUri.parse("socks5://u:a:b@h").password()).isEqualTo("a:b");
        // an '@' in the password: the host starts after the last one
        assertThat(ProxyUri.parse("socks5://u:a@b@h").password()).isEqualTo("a@b");
    }

    @Test
    void toStringHidesThePasswordAndParsesBack() {
        ProxyUri parsed = ProxyUri.parse("socks5h://al%C3%AFce:secret@[::1]:1080");
        assertThat(parsed.toString()).isEqualTo("socks5h://al%c3%afce:***@[::1]:1080").doesNotContain("secret");
        ProxyUri back = ProxyUri.parse(parsed.toString());
        assertThat(back.username()).isEqualTo("al\u00efce");
        assertThat(ProxyUri.parse("socks4://h").toString()).isEqualTo("socks4://h:1080");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "http://h:1080", "socks6://h", "socks5:/h", "h:1080", "socks5://", "socks5://:1080", "socks5://h:",
        "socks5://h:x", "socks5://h:1080/path", "socks5://h?q", "socks5://h#f", "socks5://::1:1080",
        "socks5://[::1", "socks5://[nothex]:1", "socks5://[::1]x", "socks5://u@h", "socks5://u:@h", "socks5://:p@h",
        "socks5://u:%zz@h", "socks5://u:%4@h", "socks5://u:%C3@h", "socks4://u:p@h", "socks5://h:99999",
    })
    void refusesWhatIsWrongSayingWhat(String uri) {
        assertThatThrownBy(() -> ProxyUri.parse(uri)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("proxy URI '");
    }

    @Test
    void errorMessagesNeverShowThePassword() {
        assertThatThrownBy(() -> ProxyUri.parse("socks4://alice:hunter2@h")).hasMessageNotContaining("hunter2")
                .hasMessageContaining("socks4://***@h");
        assertThatThrownBy(() -> ProxyUri.parse("socks5://alice:hunter2@h:0")).hasMessageNotContaining("hunter2");
    }

    @Test
    void withCredentialsAndChainTarget() {
        ProxyUri proxy = ProxyUri.of(SocksProtocol.SOCKS5, "::1", 1080).withCredentials("u", "p");
        assertThat(proxy.hasCredentials()).isTrue();
        assertThat(proxy.target()).isEqualTo(SocksTarget.of("::1", 1080));
        assertThatThrownBy(() -> new ProxyUri(SocksProtocol.SOCKS5, "h", 1, "u", null))
                .hasMessageContaining("without a password");
    }
}
