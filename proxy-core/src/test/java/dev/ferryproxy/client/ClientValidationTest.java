package dev.ferryproxy.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.testing.Loopback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;

/**
 * What SOCKS cannot carry is refused before anything is sent: a host name over 255 bytes (the
 * overflow of curl's CVE-2023-38545), a user name or password over 255 bytes or empty,
 * credentials on a SOCKS4 hop, an IPv6 address over SOCKS4 or SOCKS4a, ports out of range. The
 * "proxy" is a listener the test owns: after each refusal, one valid request proves that the
 * refused one never connected (the only connection that arrives is the valid one).
 */
@Timeout(30)
class ClientValidationTest {
    private static final String NAME_255 = ("a".repeat(63) + ".").repeat(3) + "b".repeat(63);
    private static final String NAME_256 = NAME_255 + "c";

    private ServerSocketChannel listener;

    @BeforeEach
    void listen() throws IOException {
        listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress(Loopback.IPV4, 0));
        listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
    }

    @AfterEach
    void close() throws IOException {
        listener.close();
    }

    private String proxy(String scheme) throws IOException {
        return scheme + "://127.0.0.1:" + ((InetSocketAddress) listener.getLocalAddress()).getPort();
    }

    /** The next connection must be the valid one (first bytes as expected), and no other may follow. */
    private void assertOnlyTheValidRequestArrives(SocksClient client, byte[] expectedFirstBytes) throws Exception {
        client.connect(SocksTarget.of("127.0.0.1", 9));
        listener.configureBlocking(true);
        try (Socket accepted = listener.socket().accept()) {
            accepted.setSoTimeout(10_000);
            InputStream in = accepted.getInputStream();
            assertThat(in.readNBytes(expectedFirstBytes.length)).isEqualTo(expectedFirstBytes);
        }
        listener.configureBlocking(false);
        assertThat(listener.accept()).as("no other connection").isNull();
    }

    @Test
    void hostNameOver255BytesIsRefusedBeforeAnyConnection() throws Exception {
        assertThat(NAME_255).hasSize(255);
        assertThat(SocksTarget.of(NAME_255, 80).host()).isEqualTo(NAME_255);
        assertThatThrownBy(() -> SocksTarget.of(NAME_256, 80)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("256 bytes").hasMessageContaining("1-255");
        // in UTF-8 bytes, not chars: 128 two-byte chars are 256 bytes
        assertThatThrownBy(() -> SocksTarget.of("\u00e9".repeat(128), 80)).hasMessageContaining("256 bytes");
        try (SocksClient client = SocksClient.builder().proxy(proxy("socks5h")).build()) {
            assertThatThrownBy(() -> client.connect(NAME_256, 80)).isInstanceOf(IllegalArgumentException.class);
            assertOnlyTheValidRequestArrives(client, new byte[] {5, 1, 0});
        }
    }

    @Test
    void userNameOrPasswordOver255BytesOrEmptyIsRefused() throws Exception {
        String u256 = "u".repeat(256);
        assertThatThrownBy(() -> SocksClient.builder().proxy(proxy("socks5")).credentials(u256, "pw"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user name: 256 bytes");
        assertThatThrownBy(() -> SocksClient.builder().proxy(proxy("socks5")).credentials("u", u256))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("password: 256 bytes");
        assertThatThrownBy(() -> SocksClient.builder().proxy(proxy("socks5")).credentials("", "pw"))
                .hasMessageContaining("user name: 0 bytes");
        assertThatThrownBy(() -> SocksClient.builder().proxy(proxy("socks5")).credentials("u", ""))
                .hasMessageContaining("password: 0 bytes");
        assertThatThrownBy(() -> ProxyUri.parse("socks5://" + u256 + ":pw@127.0.0.1:1080"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("256 bytes")
                .hasMessageNotContaining("pw@");
        String u255 = "u".repeat(255);
        try (SocksClient client = SocksClient.builder().proxy(proxy("socks5")).credentials(u255, "p".repeat(255))
                .build()) {
            assertThat(client.proxies().get(0).username()).hasSize(255);
            assertOnlyTheValidRequestArrives(client, new byte[] {5, 2, 0, 2});
        }
    }

    @Test
    void credentialsOnASocks4HopAreRefused() throws Exception {
        assertThatThrownBy(() -> SocksClient.builder().proxy(proxy("socks4")).credentials("u", "p"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("socks4 cannot carry");
        assertThatThrownBy(() -> ProxyUri.parse("socks4a://u:p@127.0.0.1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("socks4a cannot carry");
        assertThatThrownBy(() -> SocksClient.builder().credentials("u", "p")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void ipv6TargetOverSocks4OrSocks4aIsRefusedBeforeAnyConnection() throws Exception {
        for (String scheme : new String[] {"socks4", "socks4a"}) {
            try (SocksClient client = SocksClient.builder().proxy(proxy(scheme)).build()) {
                assertThatThrownBy(() -> client.connect("::1", 80)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("IPv6");
                assertThatThrownBy(() -> client.bind(SocksTarget.of("[2001:db8::1]", 0)))
                        .isInstanceOf(IllegalArgumentException.class);
                assertOnlyTheValidRequestArrives(client, new byte[] {4, 1, 0, 9, 127, 0, 0, 1, 0});
            }
        }
        assertThatThrownBy(() -> SocksClient.builder().proxy(proxy("socks4a")).proxy("socks5://[::1]:1080").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("IPv6");
    }

    @Test
    void portsOutOfRangeAreRefused() {
        assertThatThrownBy(() -> SocksTarget.of("h", 65536)).hasMessageContaining("port: 65536 (expected: 0-65535)");
        assertThatThrownBy(() -> SocksTarget.of("h", -1)).hasMessageContaining("port: -1");
        assertThat(SocksTarget.of("h", 65535).port()).isEqualTo(65535);
        assertThatThrownBy(() -> ProxyUri.parse("socks5://h:65536")).hasMessageContaining("port 65536");
        assertThatThrownBy(() -> ProxyUri.parse("socks5://h:0")).hasMessageContaining("port 0");
        assertThatThrownBy(() -> ProxyUri.of(SocksProtocol.SOCKS5, "h", 70000)).hasMessageContaining("70000");
    }

    @Test
    void noProxyAndBadTimeoutsAreRefused() {
        assertThatThrownBy(() -> SocksClient.builder().build()).hasMessageContaining("no proxy");
        assertThatThrownBy(() -> SocksClient.builder().handshakeTimeout(Duration.ZERO))
                .hasMessageContaining("handshakeTimeout");
        assertThatThrownBy(() -> SocksClient.builder().connectTimeout(Duration.ofSeconds(-1)))
                .hasMessageContaining("connectTimeout");
    }
}
