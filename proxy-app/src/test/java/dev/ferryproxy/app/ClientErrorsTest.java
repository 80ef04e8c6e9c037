package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.client.MalformedReplyException;
import dev.ferryproxy.client.ProxyUri;
import dev.ferryproxy.client.SocksAuthenticationException;
import dev.ferryproxy.client.SocksProtocol;
import dev.ferryproxy.client.SocksReplyException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class ClientErrorsTest {
    private static final ProxyUri PROXY = ProxyUri.parse("socks5h://alice:secret@127.0.0.1:1080");

    @Test
    void aReplyNamesTheHopTheCodeAndItsMeaning() {
        SocksReplyException refused = new SocksReplyException(SocksProtocol.SOCKS5H, 5, "connection refused", PROXY);
        assertThat(ClientErrors.describe(new ExecutionException(refused))).isEqualTo(
                "socks5h://alice:***@127.0.0.1:1080: request failed with SOCKS5 reply 0x05: connection refused");
        assertThat(ClientErrors.hint(refused)).contains("nothing listens on that port");
        assertThat(ClientErrors.hint(new SocksReplyException(SocksProtocol.SOCKS4, 91, "request rejected or failed")))
                .contains("socks5h://");
    }

    @Test
    void loginAndProtocolFailuresGetHints() {
        assertThat(ClientErrors.describe(new SocksAuthenticationException(1, PROXY)))
                .contains("user name or password refused").doesNotContain("secret");
        assertThat(ClientErrors.hint(new SocksAuthenticationException(1, PROXY))).contains("password");
        assertThat(ClientErrors.hint(new MalformedReplyException("version 0x48"))).contains("SOCKS server");
    }

    @Test
    void aConnectFailureLosesTheNativeCallButKeepsTheAddress() {
        ConnectException epoll = new ConnectException(
                "finishConnect(..) failed with error(-111): Connection refused: /127.0.0.1:1080");
        assertThat(ClientErrors.connectFailure(epoll)).isEqualTo("Connection refused");
        assertThat(ClientErrors.describe(epoll))
                .isEqualTo("cannot connect to the proxy at 127.0.0.1:1080: Connection refused");
        ConnectException ioUring = new ConnectException("io_uring connect(..) failed with error(-111): Connection refused");
        assertThat(ClientErrors.describe(ioUring)).isEqualTo("cannot connect to the proxy: Connection refused");
        ConnectException nio = new ConnectException("Connection refused: /[::1]:1080");
        assertThat(ClientErrors.describe(nio)).isEqualTo("cannot connect to the proxy at [::1]:1080: Connection refused");
        assertThat(ClientErrors.describe(new ConnectException("Network is unreachable")))
                .isEqualTo("cannot connect to the proxy: Network is unreachable");
    }

    @Test
    void anUnknownHostIsNamed() {
        assertThat(ClientErrors.describe(new UnknownHostException("nowhere.invalid")))
                .isEqualTo("cannot resolve nowhere.invalid");
    }
}
