package dev.ferryproxy.e2e;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferryproxy.accesslog.AccessLogEntry;
import dev.ferryproxy.accesslog.EndReason;
import dev.ferryproxy.bind.BindSettings;
import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksVersion;
import dev.ferryproxy.policy.Command;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RawUdpAssociation;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SocksRequests;
import dev.ferryproxy.testing.UdpEchoServer;
import dev.ferryproxy.udp.UdpSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The access-log entries of BIND and UDP ASSOCIATE on a live server: a BIND with a real peer and
 * data both ways, a UDP association with a few datagrams (payload bytes each way), and a UDP
 * association ended by its idle timeout.
 */
@Timeout(60)
class AccessLogBindAndUdpEndToEndTest {
    private static final Duration IDLE = Duration.ofMillis(300);

    /** Lock-free: the sink runs on an event loop, where BlockHound forbids waiting on a lock. */
    private final ConcurrentLinkedQueue<AccessLogEntry> entries = new ConcurrentLinkedQueue<>();
    private DnsStub dns;
    private UdpEchoServer udpEcho;
    private RunningProxy proxy;

    @BeforeEach
    void start() throws Exception {
        dns = DnsStub.start(Map.of());
        udpEcho = UdpEchoServer.start(Loopback.IPV4);
        proxy = RunningProxy.start(dns.address(), b -> b.accessLog(entries::add)
                .bind(BindSettings.DEFAULT.withEnabled(true))
                .udp(new UdpSettings(true, null, IDLE, UdpSettings.MAX_UDP_PAYLOAD, 1024, 10_000, false)));
    }

    @AfterEach
    void stop() throws Exception {
        Closeables.closeAll(proxy, udpEcho, dns);
    }

    private AccessLogEntry next() {
        await("an access-log entry").atMost(Duration.ofSeconds(10)).until(() -> !entries.isEmpty());
        return entries.poll();
    }

    @Test
    void aBindWithAPeerIsLoggedWithThePeerAndTheBytesEachWay() throws Exception {
        InetSocketAddress expected = new InetSocketAddress(Loopback.IPV4, 0);
        InetSocketAddress peerAddress;
        try (RawSocksClient client = RawSocksClient.connect(proxy.address())) {
            InetSocketAddress listening = RawBind.socks5Listening(client,
                    SocksRequests.socks5Request(SocksRequests.SOCKS5_BIND, expected));
            try (Socket peer = RawBind.connectFrom(Loopback.IPV4, listening)) {
                peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();
                assertThat(client.readSocks5Reply().rep()).isZero();
                RawBind.exchangeWithHalfClose(client, peer, 12_345, 23_456);
            }
        }
        AccessLogEntry entry = next();
        assertThat(entry.command()).isEqualTo(Command.BIND);
        assertThat(entry.version()).isEqualTo(SocksVersion.SOCKS5);
        assertThat(entry.requested()).isEqualTo(SocksAddress.of(expected));
        assertThat(entry.dialled()).isEqualTo(peerAddress);
        assertThat(entry.replyCode()).isZero();
        assertThat(entry.bytesFromClient()).isEqualTo(12_345);
        assertThat(entry.bytesToClient()).isEqualTo(23_456);
        assertThat(entry.client()).isEqualTo(Loopback.IPV4);
        // The client ended its output first; the peer ended after.
        assertThat(entry.end()).isEqualTo(EndReason.CLIENT_CLOSED);
        assertThat(entries).isEmpty();
    }

    @Test
    void aUdpAssociationIsLoggedWithThePayloadBytesEachWay() throws Exception {
        InetSocketAddress relay;
        InetSocketAddress declared;
        int sent = 0;
        try (RawUdpAssociation client = RawUdpAssociation.open(proxy.address(), Loopback.IPV4)) {
            relay = client.reply().bnd();
            declared = (InetSocketAddress) client.socket().getLocalSocketAddress();
            for (int i = 0; i < 5; i++) {
                byte[] payload = ("datagram number " + i).repeat(i + 1).getBytes(US_ASCII);
                assertThat(client.roundTrip(udpEcho.address(), payload).data()).isEqualTo(payload);
                sent += payload.length;
            }
        }
        AccessLogEntry entry = next();
        assertThat(entry.command()).isEqualTo(Command.UDP_ASSOCIATE);
        assertThat(entry.requested()).isEqualTo(SocksAddress.of(declared));
        assertThat(entry.dialled().getPort()).isEqualTo(relay.getPort());
        assertThat(entry.replyCode()).isZero();
        assertThat(entry.bytesFromClient()).isEqualTo(sent);
        assertThat(entry.bytesToClient()).isEqualTo(sent);
        assertThat(entry.end()).isEqualTo(EndReason.CLIENT_CLOSED);
        assertThat(entries).isEmpty();
    }

    @Test
    void aUdpAssociationEndedByItsIdleTimeoutSaysSo() throws Exception {
        try (RawUdpAssociation client = RawUdpAssociation.open(proxy.address(), Loopback.IPV4)) {
            byte[] payload = "once".getBytes(US_ASCII);
            client.roundTrip(udpEcho.address(), payload);
            assertThat(client.control().readUntilEof()).as("the control connection, closed when idle").isEmpty();
        }
        AccessLogEntry entry = next();
        assertThat(entry.command()).isEqualTo(Command.UDP_ASSOCIATE);
        assertThat(entry.end()).isEqualTo(EndReason.IDLE_TIMEOUT);
        assertThat(entry.bytesFromClient()).isEqualTo(4);
        assertThat(entry.bytesToClient()).isEqualTo(4);
        assertThat(entry.duration()).isGreaterThanOrEqualTo(IDLE.minusMillis(50));
    }
}
