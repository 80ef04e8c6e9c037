package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.client.ProxyUri;
import dev.ferryproxy.client.SocksTarget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

class ClientOptionsTest {
    private static SocksTarget target(String text) {
        return new ClientOptions.TargetConverter().convert(text);
    }

    @Test
    void aTargetKeepsItsNameForTheProxyToResolve() {
        assertThat(target("example.com:443")).isEqualTo(SocksTarget.of("example.com", 443));
        assertThat(target("does-not-exist.invalid:22")).isEqualTo(SocksTarget.of("does-not-exist.invalid", 22));
        assertThat(target("192.0.2.1:80")).isEqualTo(SocksTarget.of("192.0.2.1", 80));
        assertThat(target("[2001:db8::1]:8443")).isEqualTo(SocksTarget.of("2001:db8::1", 8443));
    }

    @ParameterizedTest
    @ValueSource(strings = {"example.com", "example.com:0", "example.com:65536", ":443", "::1:22", "[::1]22"})
    void aTargetNeedsAHostAndAPortToConnectTo(String text) {
        assertThatThrownBy(() -> target(text)).isInstanceOf(TypeConversionException.class);
    }

    @Test
    void aPortIsOneTo65535() {
        ClientOptions.PortConverter ports = new ClientOptions.PortConverter();
        assertThat(ports.convert("22")).isEqualTo(22);
        assertThat(ports.convert("65535")).isEqualTo(65535);
        assertThatThrownBy(() -> ports.convert("0")).hasMessageContaining("1-65535");
        assertThatThrownBy(() -> ports.convert("ssh")).hasMessageContaining("not a port number");
    }

    @Test
    void aChainThatCannotCarryAnIpv6AddressIsRefusedBeforeAnythingIsSent() {
        ClientOptions options = new ClientOptions();
        options.proxies.add(ProxyUri.parse("socks5h://127.0.0.1:1080"));
        options.proxies.add(ProxyUri.parse("socks4a://127.0.0.1:1081"));
        assertThat(options.chainProblem(SocksTarget.of("example.com", 22))).isNull();
        assertThat(options.chainProblem(SocksTarget.of("192.0.2.1", 22))).isNull();
        assertThat(options.chainProblem(SocksTarget.of("::1", 22)))
                .startsWith("socks4a://127.0.0.1:1081 cannot carry the IPv6 address of [::1]:22");

        ClientOptions toIpv6Proxy = new ClientOptions();
        toIpv6Proxy.proxies.add(ProxyUri.parse("socks4://127.0.0.1:1080"));
        toIpv6Proxy.proxies.add(ProxyUri.parse("socks5h://[::1]:1081"));
        assertThat(toIpv6Proxy.chainProblem(SocksTarget.of("example.com", 22)))
                .startsWith("socks4://127.0.0.1:1080 cannot carry the IPv6 address of [::1]:1081");
    }

    @Test
    void aProxyUriWithAnUnknownSchemeIsAConversionError() {
        assertThatThrownBy(() -> new ClientOptions.ProxyUriConverter().convert("http://127.0.0.1:3128"))
                .isInstanceOf(TypeConversionException.class).hasMessageContaining("unknown scheme 'http'");
    }
}
