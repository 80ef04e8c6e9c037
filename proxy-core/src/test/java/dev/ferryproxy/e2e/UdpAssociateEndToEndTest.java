package dev.ferryproxy.e2e;

import static dev.ferryproxy.e2e.UdpAssociations.TIMEOUT;
import static dev.ferryproxy.e2e.UdpAssociations.awaitDropped;
import static dev.ferryproxy.e2e.UdpAssociations.awaitEnded;
import static dev.ferryproxy.e2e.UdpAssociations.serverSide;
import static dev.ferryproxy.testing.SocksRequests.bytes;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferryproxy.transport.TransportKind;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RawUdpAssociation;
import dev.ferryproxy.testing.RawUdpAssociation.Datagram;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import dev.ferryproxy.testing.UdpEchoServer;
import dev.ferryproxy.udp.UdpAssociation;
import dev.ferryproxy.udp.UdpDrop;
import dev.ferryproxy.udp.UdpSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * UDP ASSOCIATE on a live server, driven by hand (a {@link DatagramSocket} and the RFC 1928 UDP
 * header): many datagrams echoed with their content checked, on both transports; IPv4, IPv6 and
 * named destinations, and clients of either family reaching targets of the other; which sources
 * the relay accepts (the client's address, latched when the request said port 0; replies only from
 * destinations the client sent to); fragments and malformed headers dropped and counted; the
 * association's end with its control connection and after the idle timeout.
 *
 * <p>Drops are asserted on the association's counters, then a round trip proves the relay still
 * works, so nothing waits for a datagram that should never come.
 */
@Timeout(60)
class UdpAssociateEndToEndTest {
    /** Known to the DNS stub: 127.0.0.1. */
    private static final String ECHO_NAME = "echo.udp.test";
    /** Known to the DNS stub: ::1. */
    private static final String ECHO6_NAME = "echo6.udp.test";
    /** Known to the DNS stub, asked about by one test only: 127.0.0.1. */
    private static final String ONCE_NAME = "once.udp.test";
    /** Known to the DNS stub, asked about by one test only, while answers are held back: 127.0.0.1. */
    private static final String SLOW_NAME = "slow.udp.test";
    /** Like {@link #SLOW_NAME}, for another test. */
    private static final String NEVER_ANSWERED_NAME = "late.udp.test";

    private static DnsStub dns;
    private static UdpEchoServer echo;
    private static UdpEchoServer echo6;
    private static RunningProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        echo = UdpEchoServer.start(Loopback.IPV4);
        if (Loopback.canBind(Loopback.IPV6)) {
            echo6 = UdpEchoServer.start(Loopback.IPV6);
        }
        dns = DnsStub.start(Map.of(ECHO_NAME, List.of(Loopback.IPV4), ECHO6_NAME, List.of(Loopback.IPV6),
                ONCE_NAME, List.of(Loopback.IPV4), SLOW_NAME, List.of(Loopback.IPV4),
                NEVER_ANSWERED_NAME, List.of(Loopback.IPV4)));
        proxy = RunningProxy.start(dns.address());
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(proxy, dns, echo6, echo);
    }

    private static RawUdpAssociation associate() throws Exception {
        return RawUdpAssociation.open(proxy.address(), Loopback.IPV4);
    }

    // ---- relaying ----

    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = {"NIO", "EPOLL", "IO_URING"})
    void fiveHundredDatagramsComeBackWithTheirContent(TransportKind kind) throws Exception {
        Transports.assumeAvailable(kind);
        try (UdpEchoServer target = UdpEchoServer.start(Loopback.IPV4);
                RunningProxy server = RunningProxy.start(dns.address(), b -> b.transport(kind));
                RawUdpAssociation client = RawUdpAssociation.open(server.address(), Loopback.IPV4)) {
            assertThat(client.reply().bnd()).as("the relay: the control connection's local address")
                    .isEqualTo(new InetSocketAddress(Loopback.IPV4, client.reply().bnd().getPort()));
            for (int i = 0; i < 500; i++) {
                byte[] payload = SeededBytes.generate(i, 1 + (i * 37) % 1400);
                Datagram echoed = client.roundTrip(target.address(), payload);
                assertThat(echoed.source()).as("header of echo %d", i).isEqualTo(target.address());
                assertThat(echoed.frag()).isZero();
                assertThat(echoed.sender()).as("sent by the relay").isEqualTo(client.relay());
            }
            UdpAssociation association = serverSide(server, client);
            assertThat(association.stats().datagramsToTargets()).isGreaterThanOrEqualTo(500);
            assertThat(association.stats().datagramsToClient()).isGreaterThanOrEqualTo(500);
            assertThat(association.stats().dropped()).as("drops: %s", association.stats()).isZero();
            assertThat(((InetSocketAddress) target.pollSender(0)).getPort()).as("the target saw the relay's port")
                    .isEqualTo(client.relay().getPort());
        }
    }

    @Test
    void theLargestDatagramsAreRelayedWhole() throws Exception {
        try (RawUdpAssociation client = associate()) {
            int largestPayload = UdpSettings.MAX_UDP_PAYLOAD - 10; // the IPv4 header takes 10 bytes
            for (int length : new int[] {2049, 16_384, largestPayload}) {
                byte[] payload = SeededBytes.generate(length, length);
                assertThat(client.roundTrip(echo.address(), payload).data()).hasSize(length);
            }
            assertThat(serverSide(proxy, client).stats().dropped()).isZero();
        }
    }

    // ---- address families and names ----

    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = {"NIO", "EPOLL", "IO_URING"})
    void ipv4ClientReachesAnIpv6Target(TransportKind kind) throws Exception {
        Transports.assumeAvailable(kind);
        assumeTrue(echo6 != null, "no IPv6 loopback here");
        try (RunningProxy server = RunningProxy.start(dns.address(), b -> b.transport(kind));
                RawUdpAssociation client = RawUdpAssociation.open(server.address(), Loopback.IPV4)) {
            Datagram echoed = client.roundTrip(echo6.address(), "to ::1".getBytes(US_ASCII));
            assertThat(echoed.source()).isEqualTo(echo6.address());
            assertThat(client.roundTrip(echo.address(), "to 127.0.0.1".getBytes(US_ASCII)).source())
                    .isEqualTo(echo.address());
        }
    }

    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = {"NIO", "EPOLL", "IO_URING"})
    void ipv6ClientReachesIpv4AndIpv6Targets(TransportKind kind) throws Exception {
        Transports.assumeAvailable(kind);
        assumeTrue(echo6 != null, "no IPv6 loopback here");
        try (RunningProxy server = RunningProxy.start(dns.address(),
                        b -> b.transport(kind).listen(new InetSocketAddress(Loopback.IPV6, 0)));
                RawUdpAssociation client = RawUdpAssociation.open(server.server().boundAddresses().get(1),
                        Loopback.IPV6)) {
            assertThat(client.reply().bnd().getAddress()).as("the relay: the control connection's local address")
                    .isEqualTo(Loopback.IPV6);
            Datagram toIpv4 = client.roundTrip(echo.address(), "to 127.0.0.1".getBytes(US_ASCII));
            assertThat(toIpv4.source()).as("an IPv4 sender is named as IPv4 (ATYP 1)").isEqualTo(echo.address());
            assertThat(client.roundTrip(echo6.address(), "to ::1".getBytes(US_ASCII)).source())
                    .isEqualTo(echo6.address());
            assertThat(client.roundTrip(ECHO_NAME, echo.address().getPort(), "by name".getBytes(US_ASCII)).source())
                    .isEqualTo(echo.address());
            assertThat(serverSide(server, client).clientAddress()).isEqualTo(Loopback.IPV6);
        }
    }

    @Test
    void namesAreResolvedOnceAndRepliesNameTheAddress() throws Exception {
        try (RawUdpAssociation client = associate()) {
            for (int i = 0; i < 10; i++) {
                byte[] payload = SeededBytes.generate(100 + i, 300);
                Datagram echoed = client.roundTrip(ONCE_NAME, echo.address().getPort(), payload);
                assertThat(echoed.source()).as("the header names the sender's address").isEqualTo(echo.address());
            }
            assertThat(dns.questions().stream().filter(q -> q.endsWith(" " + ONCE_NAME)).count())
                    .as("DNS questions (one per record type at most): %s", dns.questions()).isLessThanOrEqualTo(2);
        }
    }

    @Test
    void aNameWithAnIpv6AddressIsReached() throws Exception {
        assumeTrue(echo6 != null, "no IPv6 loopback here");
        try (RawUdpAssociation client = associate()) {
            assertThat(client.roundTrip(ECHO6_NAME, echo6.address().getPort(), "six".getBytes(US_ASCII)).source())
                    .isEqualTo(echo6.address());
        }
    }

    @Test
    void aNameThatDoesNotResolveIsDroppedAndCounted() throws Exception {
        try (RawUdpAssociation client = associate()) {
            UdpAssociation association = serverSide(proxy, client);
            client.send("missing.udp.test", echo.address().getPort(), "lost".getBytes(US_ASCII));
            client.send("nowhere.invalid", echo.address().getPort(), "lost".getBytes(US_ASCII));
            awaitDropped(association.stats(), UdpDrop.UNRESOLVED, 2);
            assertThat(client.roundTrip(echo.address(), "still relaying".getBytes(US_ASCII)).source())
                    .isEqualTo(echo.address());
        }
    }

    @Test
    void datagramsWaitForTheirNameAndTooManyWaitingAreDropped() throws Exception {
        try (RawUdpAssociation client = associate()) {
            UdpAssociation association = serverSide(proxy, client);
            int sent = 70;
            dns.pauseAnswers();
            try {
                for (int i = 0; i < sent; i++) {
                    client.send(SLOW_NAME, echo.address().getPort(), ("waiting " + i).getBytes(US_ASCII));
                }
                awaitDropped(association.stats(), UdpDrop.RESOLUTION_BACKLOG, sent - 64);
            } finally {
                dns.resumeAnswers();
            }
            UdpAssociations.awaitAtLeast("datagrams sent on once the name resolved",
                    () -> association.stats().datagramsToTargets(), 64);
            Set<String> echoed = new HashSet<>();
            for (Datagram d; echoed.size() < 64 && (d = client.receive(TIMEOUT)) != null; ) {
                echoed.add(new String(d.data(), US_ASCII));
            }
            assertThat(echoed).hasSize(64).allMatch(text -> text.startsWith("waiting "));
            assertThat(association.stats().dropped(UdpDrop.RESOLUTION_BACKLOG)).isEqualTo(sent - 64);
        }
    }

    @Test
    void datagramsStillWaitingForTheirNameAreReleasedWhenTheAssociationEnds() throws Exception {
        try (RawUdpAssociation client = associate()) {
            UdpAssociation association = serverSide(proxy, client);
            dns.pauseAnswers();
            try {
                for (int i = 0; i < 5; i++) {
                    client.send(NEVER_ANSWERED_NAME, echo.address().getPort(), ("held " + i).getBytes(US_ASCII));
                }
                dns.awaitQuestion(NEVER_ANSWERED_NAME, TIMEOUT);
                client.control().close();
                awaitEnded(proxy, association);
            } finally {
                dns.resumeAnswers();
            }
            assertThat(association.stats().datagramsToTargets()).isZero();
        }
    }

    // ---- what the relay accepts ----

    @Test
    void fragmentsAreDroppedAndCounted() throws Exception {
        try (RawUdpAssociation client = associate()) {
            UdpAssociation association = serverSide(proxy, client);
            client.sendRaw(RawUdpAssociation.datagram(1, echo.address(), "fragment 1".getBytes(US_ASCII)));
            client.sendRaw(RawUdpAssociation.datagram(0x81, echo.address(), "last fragment".getBytes(US_ASCII)));
            awaitDropped(association.stats(), UdpDrop.FRAGMENT, 2);
            Datagram next = roundTripExpectingNothingElse(client, echo.address(), "whole".getBytes(US_ASCII));
            assertThat(next.data()).isEqualTo("whole".getBytes(US_ASCII));
            assertThat(association.stats().datagramsToTargets()).as("only the whole datagram went on").isEqualTo(1);
        }
    }

    @Test
    void malformedHeadersAreDroppedAndCounted() throws Exception {
        try (RawUdpAssociation client = associate()) {
            UdpAssociation association = serverSide(proxy, client);
            client.sendRaw(bytes(0, 0, 0));                       // shorter than any header
            client.sendRaw(bytes(0, 0, 0, 0x09, 1, 2, 3, 4, 0, 7)); // unknown ATYP
            client.sendRaw(bytes(0, 0, 0, 0x04, 0, 0, 0, 0, 0));    // IPv6 address cut short
            client.sendRaw(bytes(0, 0, 0, 0x03, 0, 0, 7));          // empty name
            awaitDropped(association.stats(), UdpDrop.MALFORMED, 4);
            assertThat(client.roundTrip(echo.address(), "well formed".getBytes(US_ASCII)).source())
                    .isEqualTo(echo.address());
        }
    }

    @Test
    void datagramsFromOtherSourcesAreIgnored() throws Exception {
        try (RawUdpAssociation client = associate();
                DatagramSocket samehost = new DatagramSocket(new InetSocketAddress(Loopback.IPV4, 0))) {
            UdpAssociation association = serverSide(proxy, client);
            byte[] smuggled = RawUdpAssociation.datagram(0, echo.address(), "smuggled".getBytes(US_ASCII));
            samehost.send(new DatagramPacket(smuggled, smuggled.length, client.relay()));
            int expected = 1;
            InetAddress otherHost = Loopback.ipv4(127, 0, 0, 2);
            if (Loopback.canBind(otherHost)) {
                try (DatagramSocket elsewhere = new DatagramSocket(new InetSocketAddress(otherHost, 0))) {
                    elsewhere.send(new DatagramPacket(smuggled, smuggled.length, client.relay()));
                    expected++;
                }
            }
            awaitDropped(association.stats(), UdpDrop.UNKNOWN_SOURCE, expected);
            roundTripExpectingNothingElse(client, echo.address(), "mine".getBytes(US_ASCII));
            assertThat(association.stats().datagramsToTargets()).as("only the client's datagram went on").isEqualTo(1);
        }
    }

    @Test
    void portZeroInTheRequestIsLatchedFromTheFirstDatagram() throws Exception {
        try (RawUdpAssociation client = RawUdpAssociation.open(proxy.address(), Loopback.IPV4,
                        new InetSocketAddress(InetAddress.getByAddress(new byte[4]), 0));
                DatagramSocket latecomer = new DatagramSocket(new InetSocketAddress(Loopback.IPV4, 0))) {
            UdpAssociation association = serverSide(proxy, client);
            assertThat(client.roundTrip(echo.address(), "first".getBytes(US_ASCII)).source()).isEqualTo(echo.address());
            byte[] smuggled = RawUdpAssociation.datagram(0, echo.address(), "second socket".getBytes(US_ASCII));
            latecomer.send(new DatagramPacket(smuggled, smuggled.length, client.relay()));
            awaitDropped(association.stats(), UdpDrop.UNKNOWN_SOURCE, 1);
            roundTripExpectingNothingElse(client, echo.address(), "still mine".getBytes(US_ASCII));
        }
    }

    /** A client behind NAT declares its private address; the port its datagrams come from is learned instead. */
    @Test
    void aDeclaredAddressOfAnotherHostLatchesThePortFromTheFirstDatagram() throws Exception {
        InetSocketAddress privateAddress = new InetSocketAddress(InetAddress.getByAddress(bytes(10, 1, 2, 3)), 5555);
        try (RawUdpAssociation client = RawUdpAssociation.open(proxy.address(), Loopback.IPV4, privateAddress)) {
            assertThat(client.roundTrip(echo.address(), "via NAT".getBytes(US_ASCII)).source())
                    .isEqualTo(echo.address());
        }
    }

    @Test
    void repliesFromSourcesTheClientHasNotSentToAreDropped() throws Exception {
        try (RawUdpAssociation client = associate();
                DatagramSocket stranger = new DatagramSocket(new InetSocketAddress(Loopback.IPV4, 0))) {
            UdpAssociation association = serverSide(proxy, client);
            client.roundTrip(echo.address(), "known".getBytes(US_ASCII));
            byte[] unsolicited = "unsolicited".getBytes(US_ASCII);
            stranger.send(new DatagramPacket(unsolicited, unsolicited.length, client.relay()));
            awaitDropped(association.stats(), UdpDrop.UNKNOWN_SOURCE, 1);
            roundTripExpectingNothingElse(client, echo.address(), "known again".getBytes(US_ASCII));
        }
    }

    @Test
    void repliesFromAnySourceAreRelayedWhenTheSettingsSaySo() throws Exception {
        UdpSettings anySource = new UdpSettings(true, null, Duration.ofMinutes(2), UdpSettings.MAX_UDP_PAYLOAD, 1024,
                10_000, true);
        try (RunningProxy server = RunningProxy.start(dns.address(), b -> b.udp(anySource));
                RawUdpAssociation client = RawUdpAssociation.open(server.address(), Loopback.IPV4);
                DatagramSocket stranger = new DatagramSocket(new InetSocketAddress(Loopback.IPV4, 0))) {
            byte[] unsolicited = "unsolicited".getBytes(US_ASCII);
            stranger.send(new DatagramPacket(unsolicited, unsolicited.length, client.relay()));
            Datagram received = client.receive(TIMEOUT);
            assertThat(received).as("the stranger's datagram").isNotNull();
            assertThat(received.data()).isEqualTo(unsolicited);
            assertThat(received.source()).isEqualTo(stranger.getLocalSocketAddress());
        }
    }

    // ---- the association's life ----

    @Test
    void closingTheControlConnectionEndsTheAssociationAndFreesItsPort() throws Exception {
        RawUdpAssociation client = associate();
        UdpAssociation association;
        try {
            association = serverSide(proxy, client);
            client.roundTrip(echo.address(), "before".getBytes(US_ASCII));
            client.control().close();
            assertThat(association.closeFuture().await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            awaitEnded(proxy, association);
        } finally {
            client.close();
        }
        int port = client.relay().getPort();
        try (DatagramSocket reuse = new DatagramSocket(new InetSocketAddress(Loopback.IPV4, port))) {
            assertThat(reuse.getLocalPort()).as("the relay port is free again").isEqualTo(port);
        }
    }

    @Test
    void endOfStreamOnTheControlConnectionEndsTheAssociation() throws Exception {
        try (RawUdpAssociation client = associate()) {
            UdpAssociation association = serverSide(proxy, client);
            client.control().shutdownOutput();
            assertThat(client.control().readUntilEof()).as("bytes on the control connection").isEmpty();
            awaitEnded(proxy, association);
        }
    }

    @Test
    void bytesOnTheControlConnectionAreDiscarded() throws Exception {
        try (RawUdpAssociation client = associate()) {
            UdpAssociation association = serverSide(proxy, client);
            client.control().send("keep-alive\n");
            client.control().send(new byte[64 * 1024]);
            assertThat(client.roundTrip(echo.address(), "after".getBytes(US_ASCII)).source()).isEqualTo(echo.address());
            assertThat(association.isOpen()).isTrue();
        }
    }

    @Test
    void anIdleAssociationIsEndedWithItsControlConnection() throws Exception {
        Duration idle = Duration.ofMillis(300);
        UdpSettings settings = new UdpSettings(true, null, idle, UdpSettings.MAX_UDP_PAYLOAD, 1024, 10_000, false);
        try (RunningProxy server = RunningProxy.start(dns.address(), b -> b.udp(settings));
                RawUdpAssociation client = RawUdpAssociation.open(server.address(), Loopback.IPV4)) {
            UdpAssociation association = serverSide(server, client);
            // Traffic for three timeouts keeps it open.
            long busyUntil = System.nanoTime() + 3 * idle.toNanos();
            int i = 0;
            while (System.nanoTime() < busyUntil) {
                client.roundTrip(echo.address(), ("busy " + i++).getBytes(US_ASCII));
            }
            assertThat(association.isOpen()).as("open after %d round trips", i).isTrue();
            long quietSince = System.nanoTime();
            assertThat(client.control().readUntilEof()).as("bytes on the control connection").isEmpty();
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - quietSince);
            assertThat(waitedMillis).as("closed after the idle timeout, not before").isGreaterThanOrEqualTo(250);
            awaitEnded(server, association);
        }
    }

    /**
     * Sends {@code payload} to an echo target and checks that the very next datagram the client
     * gets is its echo: anything dropped before would have arrived first, had it been relayed.
     */
    private static Datagram roundTripExpectingNothingElse(RawUdpAssociation client, InetSocketAddress target,
            byte[] payload) throws Exception {
        client.send(target, payload);
        Datagram next = client.receive(TIMEOUT);
        assertThat(next).as("the echo").isNotNull();
        assertThat(next.data()).as("the next datagram is the echo").isEqualTo(payload);
        assertThat(next.source()).isEqualTo(target);
        return next;
    }
}
