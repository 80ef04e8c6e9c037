package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostPortTest {
    @Test
    void parsesIpv4AndPort() {
        InetSocketAddress address = HostPort.parse("127.0.0.1:1080");
        assertThat(address.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(address.getPort()).isEqualTo(1080);
    }

    @Test
    void parsesBracketedIpv6() {
        InetSocketAddress address = HostPort.parse("[::1]:65535");
        assertThat(address.getAddress()).isInstanceOf(Inet6Address.class);
        assertThat(address.getAddress().isLoopbackAddress()).isTrue();
        assertThat(address.getPort()).isEqualTo(65535);
    }

    @Test
    void parsesWildcardAndPortZero() {
        InetSocketAddress address = HostPort.parse("0.0.0.0:0");
        assertThat(address.getAddress().isAnyLocalAddress()).isTrue();
        assertThat(address.getPort()).isZero();
    }

    @Test
    void resolvesHostsFileNameAtStartup() {
        assertThat(HostPort.parse("localhost:1080").getAddress().isLoopbackAddress()).isTrue();
    }

    @Test
    void parsesWithoutResolvingWhenAskedTo() {
        InetSocketAddress name = HostPort.parseUnresolved("does-not-exist.invalid:443");
        assertThat(name.isUnresolved()).isTrue();
        assertThat(name.getHostString()).isEqualTo("does-not-exist.invalid");
        assertThat(name.getPort()).isEqualTo(443);
        assertThat(HostPort.parseUnresolved("[::1]:22").getHostString()).isEqualTo("::1");
        assertThatThrownBy(() -> HostPort.parseUnresolved("::1:22")).hasMessageContaining("[::1]:1080");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1080", "127.0.0.1", "127.0.0.1:", ":1080", "::1:1080", "[::1]1080", "[::1]:",
        "[127.0.0.1]:1080", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:http", "[::1:1080"})
    void rejectsMalformedAddresses(String text) {
        assertThatThrownBy(() -> HostPort.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectionSaysWhatIsWrong() {
        assertThatThrownBy(() -> HostPort.parse("127.0.0.1:70000"))
                .hasMessageContaining("70000").hasMessageContaining("0-65535");
        assertThatThrownBy(() -> HostPort.parse("::1:1080")).hasMessageContaining("[::1]:1080");
    }
}
