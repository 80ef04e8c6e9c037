package dev.ferryproxy.app;

import static dev.ferryproxy.app.ConfigurationIT.LISTENING;
import static dev.ferryproxy.app.ConfigurationIT.LOOPBACK_DNS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.SocksRequests;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

/**
 * UDP ASSOCIATE as operators switch it: on by default, with the reply naming the address the
 * client reached or {@code --advertised-address}; off with {@code --no-udp} (0x07).
 */
class UdpIT {
    private static final int UDP_ASSOCIATE = 0x03;
    private static final InetSocketAddress ANY_SOURCE = new InetSocketAddress("0.0.0.0", 0);

    @Test
    void onByDefaultNamingTheAdvertisedAddressAndOffWithNoUdp() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar("--listen", "127.0.0.1:0", "--dns-server", LOOPBACK_DNS,
                "--advertised-address", "192.0.2.10")) {
            InetSocketAddress proxy = HostPort.parse(ferry.awaitStdout(LISTENING).group(1));
            ferry.awaitStdout("UDP ASSOCIATE on \\(ports any\\); replies advertise 192\\.0\\.2\\.10");
            try (RawSocksClient client = RawSocksClient.connect(proxy).greetNoAuth()) {
                client.send(SocksRequests.socks5Request(UDP_ASSOCIATE, ANY_SOURCE));
                RawSocksClient.Socks5Reply reply = client.readSocks5Reply();
                assertThat(reply.rep()).isZero();
                assertThat(reply.bnd().getAddress().getHostAddress()).isEqualTo("192.0.2.10");
                assertThat(reply.bnd().getPort()).isPositive();
            }
        }
        try (FerryProcess ferry = FerryProcess.startJar("--listen", "127.0.0.1:0", "--dns-server", LOOPBACK_DNS,
                "--no-udp")) {
            InetSocketAddress proxy = HostPort.parse(ferry.awaitStdout(LISTENING).group(1));
            ferry.awaitStdout("UDP ASSOCIATE off");
            try (RawSocksClient client = RawSocksClient.connect(proxy).greetNoAuth()) {
                client.send(SocksRequests.socks5Request(UDP_ASSOCIATE, ANY_SOURCE));
                assertThat(client.readSocks5Reply().rep()).isEqualTo(0x07);
            }
        }
    }
}
