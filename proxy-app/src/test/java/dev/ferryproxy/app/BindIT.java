package dev.ferryproxy.app;

import static dev.ferryproxy.app.ConfigurationIT.LISTENING;
import static dev.ferryproxy.app.ConfigurationIT.LOOPBACK_DNS;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.client.SocksClient;
import dev.ferryproxy.client.SocksReplyException;
import dev.ferryproxy.client.SocksTarget;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.SocksRequests;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * BIND as operators switch it on: off by default (0x07), on with {@code --allow-bind}, where a
 * real incoming connection reaches the listener the first reply names.
 */
class BindIT {
    private static final String PEER = "127.0.0.1";

    @Test
    void offByDefaultAndOnWithAllowBind() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar("--listen", "127.0.0.1:0", "--dns-server", LOOPBACK_DNS)) {
            String proxy = ferry.awaitStdout(LISTENING).group(1);
            ferry.awaitStdout("commands: CONNECT; BIND off \\(--allow-bind turns it on\\); UDP ASSOCIATE on");
            try (SocksClient client = SocksClient.builder().proxy("socks5://" + proxy).build()) {
                Future<?> refused = client.bind(SocksTarget.of(PEER, 0)).await();
                assertThat(refused.cause()).isInstanceOf(SocksReplyException.class);
                assertThat(((SocksReplyException) refused.cause()).replyCode()).isEqualTo(7);
            }
        }
        try (FerryProcess ferry = FerryProcess.startJar("--listen", "127.0.0.1:0", "--dns-server", LOOPBACK_DNS,
                "--allow-bind")) {
            InetSocketAddress proxy = HostPort.parse(ferry.awaitStdout(LISTENING).group(1));
            ferry.awaitStdout("commands: CONNECT; BIND on \\(ports any, waits 60s\\)");
            try (RawSocksClient client = RawSocksClient.connect(proxy).greetNoAuth()) {
                client.send(SocksRequests.socks5Request(0x02, new InetSocketAddress(PEER, 0)));
                RawSocksClient.Socks5Reply first = client.readSocks5Reply();
                assertThat(first.rep()).isZero();
                assertThat(first.bnd().getAddress().getHostAddress()).as("an address the client can reach").isEqualTo(PEER);
                try (Socket peer = new Socket(first.bnd().getAddress(), first.bnd().getPort())) {
                    RawSocksClient.Socks5Reply second = client.readSocks5Reply();
                    assertThat(second.rep()).isZero();
                    assertThat(second.bnd().getPort()).as("the peer's port").isEqualTo(peer.getLocalPort());
                    peer.getOutputStream().write("from the peer".getBytes(US_ASCII));
                    assertThat(client.readText(13)).isEqualTo("from the peer");
                    client.send("from the client");
                    assertThat(new String(peer.getInputStream().readNBytes(15), US_ASCII)).isEqualTo("from the client");
                }
            }
        }
    }
}
