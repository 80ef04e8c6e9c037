package dev.ferryproxy.proxyprotocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.accesslog.AccessLogEntry;
import dev.ferryproxy.accesslog.EndReason;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.policy.Command;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Action;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.policy.Rule;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.HaproxyServer;
import dev.ferryproxy.testing.LogCapture;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import dev.ferryproxy.testing.SocksRequests;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A real HAProxy (TCP mode, {@code send-proxy-v2}, round robin, the repository's
 * docker/haproxy/haproxy.cfg) in front of two Ferry servers whose only listener requires the
 * PROXY protocol from 127.0.0.1. The rules allow only 127.0.0.2: clients connect to HAProxy from
 * 127.0.0.2, HAProxy to Ferry from 127.0.0.1, so a CONNECT succeeds only if the header's address
 * reached the rules. Both Ferrys hand their access-log entries to one collecting sink, so the
 * entries can be checked for the real client's address too.
 */
@Timeout(60)
class ProxyProtocolHaproxyTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final InetSocketAddress LISTENER = new InetSocketAddress(Loopback.IPV4, 0);
    private static final InetAddress CLIENT = Loopback.ipv4(127, 0, 0, 2);
    private static final InetAddress DENIED_CLIENT = Loopback.ipv4(127, 0, 0, 3);

    /** Lock-free: the sink runs on an event loop, where BlockHound forbids waiting on a lock. */
    private static final ConcurrentLinkedQueue<AccessLogEntry> ENTRIES = new ConcurrentLinkedQueue<>();

    private static DnsStub dns;
    private static EchoServer echo;
    private static RunningProxy first;
    private static RunningProxy second;
    private static HaproxyServer haproxy;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of());
        echo = EchoServer.start(Loopback.IPV4);
        first = startFerry();
        second = startFerry();
        haproxy = HaproxyServer.start(first.address(), second.address());
    }

    private static RunningProxy startFerry() throws Exception {
        ProxyPolicy policy = new ProxyPolicy(new AccessRules(List.of(
                Rule.builder("rules[0]", Action.ALLOW).clients(Cidr.parse("127.0.0.2/32")).build(),
                Rule.builder("rules[1]", Action.DENY).build())), UserDirectory.empty(), false);
        return RunningProxy.start(dns.address(), b -> b.policy(policy).workerThreads(2).accessLog(ENTRIES::add)
                .proxyProtocol(LISTENER, ProxyProtocolSettings.of(ProxyProtocolMode.REQUIRED,
                        List.of(Cidr.parse("127.0.0.1/32")))));
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(haproxy, first, second, echo, dns);
    }

    @Test
    void trafficFlowsThroughHaproxyToBothFerrysAndTheRulesSeeTheRealClient() throws Exception {
        long firstBefore = first.server().proxyProtocol().accepted();
        long secondBefore = second.server().proxyProtocol().accepted();
        try (LogCapture logs = LogCapture.of("dev.ferryproxy")) {
            for (int i = 0; i < 4; i++) {
                try (RawSocksClient client = RawSocksClient.connectFrom(CLIENT, haproxy.address())) {
                    assertThat(client.socks5Connect(SocksRequests.socks5Connect(echo.address())).rep())
                            .as("CONNECT %d through HAProxy; HAProxy's log:%n%s", i, haproxy.log()).isZero();
                    client.send("ping " + i);
                    assertThat(client.readText(6)).isEqualTo("ping " + i);
                }
            }
            // Round robin: each Ferry took two of the four.
            Awaitility.await().atMost(TIMEOUT).untilAsserted(() -> {
                assertThat(first.server().proxyProtocol().accepted() - firstBefore).isGreaterThanOrEqualTo(2);
                assertThat(second.server().proxyProtocol().accepted() - secondBefore).isGreaterThanOrEqualTo(2);
            });
            try (RawSocksClient client = RawSocksClient.connectFrom(DENIED_CLIENT, haproxy.address())) {
                assertThat(client.socks5Connect(SocksRequests.socks5Connect(echo.address())).rep()).isEqualTo(0x02);
            }
            logs.awaitMessage("the denial naming the real client",
                    m -> m.contains("denied") && m.contains("127.0.0.3"), TIMEOUT);
        }
    }

    @Test
    void theAccessLogNamesTheRealClientWithTheBytesEachWay() throws Exception {
        // Sizes no other test sends pick this test's entries out of the shared sink.
        int[] sizes = {70_001, 70_003, 70_005, 70_007};
        for (int i = 0; i < sizes.length; i++) {
            byte[] up = SeededBytes.generate(i, sizes[i]);
            try (RawSocksClient client = RawSocksClient.connectFrom(CLIENT, haproxy.address())) {
                assertThat(client.socks5Connect(SocksRequests.socks5Connect(echo.address())).rep())
                        .as("CONNECT %d through HAProxy; HAProxy's log:%n%s", i, haproxy.log()).isZero();
                client.send(up);
                assertThat(client.read(up.length)).isEqualTo(up);
                client.shutdownOutput();
                assertThat(client.readUntilEof()).isEmpty();
            }
        }
        Awaitility.await("an access-log entry per connection").atMost(TIMEOUT).until(() -> ENTRIES.stream()
                .filter(e -> isOneOf(e.bytesFromClient(), sizes)).count() == sizes.length);
        List<AccessLogEntry> mine = ENTRIES.stream().filter(e -> isOneOf(e.bytesFromClient(), sizes)).toList();
        assertThat(mine).extracting(AccessLogEntry::bytesFromClient)
                .containsExactlyInAnyOrder(70_001L, 70_003L, 70_005L, 70_007L);
        assertThat(mine).extracting(AccessLogEntry::listener).containsOnly(first.address(), second.address())
                .contains(first.address(), second.address());
        for (AccessLogEntry entry : mine) {
            assertThat(entry.client()).as("the client in %s", entry).isEqualTo(CLIENT);
            assertThat(entry.bytesToClient()).isEqualTo(entry.bytesFromClient());
            assertThat(entry.command()).isEqualTo(Command.CONNECT);
            assertThat(entry.requested()).isEqualTo(SocksAddress.of(echo.address()));
            assertThat(entry.dialled()).isEqualTo(echo.address());
            assertThat(entry.replyCode()).isZero();
            assertThat(entry.end()).isEqualTo(EndReason.CLIENT_CLOSED);
        }
    }

    private static boolean isOneOf(long value, int[] sizes) {
        for (int size : sizes) {
            if (size == value) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aConnectionStraightToTheRequiredListenerWithoutHeaderIsRefused() throws Exception {
        long before = first.server().proxyProtocolRejected();
        try (RawSocksClient client = RawSocksClient.connectFrom(CLIENT, first.address())) {
            client.send(SocksRequests.socks5Greeting());
            assertThat(client.readUntilEof()).isEmpty();
        }
        Awaitility.await().atMost(TIMEOUT).until(() -> first.server().proxyProtocolRejected() == before + 1);
    }
}
