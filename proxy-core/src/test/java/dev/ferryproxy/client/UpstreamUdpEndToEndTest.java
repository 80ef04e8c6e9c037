package dev.ferryproxy.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.connect.Upstream;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Action;
import dev.ferryproxy.policy.PortRange;
import dev.ferryproxy.policy.Rule;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DanteServer;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import dev.ferryproxy.testing.UdpEchoServer;
import dev.ferryproxy.udp.UdpDrop;
import dev.ferryproxy.udp.UdpSettings;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * UDP ASSOCIATE through an upstream: the front Ferry's rules send some destinations' datagrams
 * through a parent's own UDP relay (Ferry, then Dante), the rest straight out of its relay socket.
 * The echo target records who sent each datagram, which tells the two routes apart.
 */
@Timeout(60)
class UpstreamUdpEndToEndTest {
    private static final String HIDDEN = "udp.parent.test";

    private static UdpEchoServer echo;
    private static UdpEchoServer directEcho;
    private static DnsStub frontDns;
    private static DnsStub parentDns;
    private static RunningProxy parent;
    private static RunningProxy udpOffParent;
    private static final List<RunningProxy> fronts = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        echo = UdpEchoServer.start(Loopback.IPV4);
        directEcho = UdpEchoServer.start(Loopback.IPV4);
        frontDns = DnsStub.start(Map.of());
        parentDns = DnsStub.start(Map.of(HIDDEN, List.of(Loopback.IPV4)));
        parent = RunningProxy.start(parentDns.address());
        udpOffParent = RunningProxy.start(parentDns.address(), b -> b.udp(UdpSettings.DEFAULT.withEnabled(false)));
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(fronts.toArray(new AutoCloseable[0]));
        Closeables.closeAll(udpOffParent, parent, parentDns, frontDns, directEcho, echo);
    }

    /** A front that sends datagrams for {@code echo}'s port through {@code parentUri} and the rest directly. */
    private static RunningProxy front(String parentUri) throws Exception {
        Upstream upstream = new Upstream("p", List.of(ProxyUri.parse(parentUri)));
        RunningProxy front = RunningProxy.start(frontDns.address(), b -> b.policy(new ProxyPolicy(new AccessRules(List.of(
                Rule.builder("echo-via-p", Action.ALLOW).destinationPorts(PortRange.of(echo.address().getPort(),
                        echo.address().getPort())).via("p").build(),
                Rule.builder("rest-direct", Action.ALLOW).build())), UserDirectory.empty(), false,
                Map.of("p", upstream))));
        fronts.add(front);
        return front;
    }

    @Test
    void throughAFerryParentByAddressAndByANameOnlyTheParentKnows() throws Exception {
        RunningProxy front = front("socks5h://" + parent.hostAndPort());
        long parentAssociations = parent.server().udp().associationsOpened();
        try (SocksClient client = SocksClient.builder().proxy("socks5h://" + front.hostAndPort())
                .dnsServers(List.of(frontDns.address())).build()) {
            Echoes echoes = new Echoes(Tunnels.await(client.udpAssociate()));
            try {
                for (int i = 0; i < 50; i++) {
                    echoes.roundTrip(SocksTarget.of(echo.address()), SeededBytes.generate(i, 10 + i * 37), echo.address());
                }
                // The front leaves the name to the parent: its own DNS has never heard of it.
                echoes.roundTrip(SocksTarget.of(HIDDEN, echo.address().getPort()), SeededBytes.generate(99, 300),
                        echo.address());
                assertThat(frontDns.wasAskedAbout(HIDDEN)).isFalse();
                // Other ports go directly, out of the front's own relay.
                echoes.roundTrip(SocksTarget.of(directEcho.address()), SeededBytes.generate(7, 64), directEcho.address());
            } finally {
                echoes.association.close();
            }
        }
        assertThat(parent.server().udp().associationsOpened()).as("one association with the parent")
                .isEqualTo(parentAssociations + 1);
        Set<SocketAddress> echoSenders = drainSenders(echo);
        Set<SocketAddress> directSenders = drainSenders(directEcho);
        assertThat(echoSenders).as("the parent's relay sent every routed datagram").hasSize(1);
        assertThat(directSenders).hasSize(1);
        assertThat(echoSenders).doesNotContainAnyElementsOf(directSenders);
    }

    @Test
    void throughDante() throws Exception {
        try (DanteServer dante = DanteServer.start()) {
            RunningProxy front = front("socks5://" + dante.hostAndPort());
            try (SocksClient client = SocksClient.builder().proxy("socks5h://" + front.hostAndPort())
                .dnsServers(List.of(frontDns.address())).build()) {
                Echoes echoes = new Echoes(Tunnels.await(client.udpAssociate()));
                try {
                    for (int i = 0; i < 20; i++) {
                        echoes.roundTrip(SocksTarget.of(echo.address()), SeededBytes.generate(i, 20 + i * 53),
                                echo.address());
                    }
                    echoes.roundTrip(SocksTarget.of(directEcho.address()), SeededBytes.generate(3, 64),
                            directEcho.address());
                } finally {
                    echoes.association.close();
                }
            }
            Set<SocketAddress> echoSenders = drainSenders(echo);
            assertThat(echoSenders).as("Dante's relay").hasSize(1).doesNotContainAnyElementsOf(drainSenders(directEcho));
        }
    }

    @Test
    void aParentWithoutUdpDropsTheRoutedDatagramsAndCountsThem() throws Exception {
        RunningProxy front = front("socks5://" + udpOffParent.hostAndPort());
        try (SocksClient client = SocksClient.builder().proxy("socks5h://" + front.hostAndPort())
                .dnsServers(List.of(frontDns.address())).build()) {
            Echoes echoes = new Echoes(Tunnels.await(client.udpAssociate()));
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (front.server().udp().totals().dropped(UdpDrop.UNREACHABLE) == 0) {
                    assertThat(System.nanoTime()).as("a datagram dropped as unreachable").isLessThan(deadline);
                    Tunnels.await(echoes.association.send(SocksTarget.of(echo.address()), Unpooled.wrappedBuffer(new byte[8])));
                    Object[] answer = echoes.received.poll(50, TimeUnit.MILLISECONDS);
                    assertThat(answer).as("nothing comes back through a parent without UDP").isNull();
                }
                // The association itself still works for destinations that go directly.
                echoes.roundTrip(SocksTarget.of(directEcho.address()), SeededBytes.generate(5, 32), directEcho.address());
            } finally {
                echoes.association.close();
            }
        }
        drainSenders(directEcho);
    }

    private static Set<SocketAddress> drainSenders(UdpEchoServer server) throws InterruptedException {
        Set<SocketAddress> senders = new HashSet<>();
        for (SocketAddress sender = server.pollSender(0); sender != null; sender = server.pollSender(0)) {
            senders.add(sender);
        }
        return senders;
    }

    /** An association and what it received, with round trips that resend a lost datagram. */
    private static final class Echoes {
        final SocksUdpAssociation association;
        final BlockingQueue<Object[]> received = new LinkedBlockingQueue<>();

        Echoes(SocksUdpAssociation association) {
            this.association = association;
            association.setReceiver((source, data) -> {
                try {
                    received.add(new Object[] {source, ByteBufUtil.getBytes(data)});
                } finally {
                    data.release();
                }
            });
        }

        void roundTrip(SocksTarget target, byte[] payload, InetSocketAddress expectedSource) throws Exception {
            for (int attempt = 0; attempt < 5; attempt++) {
                Tunnels.await(association.send(target, Unpooled.copiedBuffer(payload)));
                for (Object[] answer = received.poll(2, TimeUnit.SECONDS); answer != null;
                        answer = received.poll(2, TimeUnit.SECONDS)) {
                    if (Arrays.equals((byte[]) answer[1], payload)) {
                        assertThat(answer[0]).as("source of the echo").isEqualTo(expectedSource);
                        return;
                    }
                }
            }
            throw new AssertionError("no echo of a " + payload.length + "-byte datagram to " + target);
        }
    }
}
