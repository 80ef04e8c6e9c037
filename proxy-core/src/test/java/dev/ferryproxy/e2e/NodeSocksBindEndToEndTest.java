package dev.ferryproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferryproxy.bind.BindSettings;
import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RunningProxy;
import dev.ferryproxy.testing.SeededBytes;
import io.netty.util.NetUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * BIND with a third-party client: the npm package {@code socks} (src/test/node/socks-bind.js)
 * over SOCKS5 and SOCKS4, the expected peer named by address or by a name Ferry resolves
 * (SOCKS4a, SOCKS5 domain). The script reports the first reply ('bound'), then the second
 * ('established'), and echoes what the peer sends; the peer here sends seeded bytes, ends its
 * output, and checks the echo and the script's own count and SHA-256. The wrong peer makes the
 * script fail with the library's rejection.
 */
@Timeout(60)
class NodeSocksBindEndToEndTest {
    private static final String PEER_NAME = "peer.node.test";
    private static final Duration STEP = Duration.ofSeconds(15);
    private static final int PAYLOAD_BYTES = 300 * 1024;

    private static DnsStub dns;
    private static RunningProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsStub.start(Map.of(PEER_NAME, List.of(Loopback.IPV4)));
        proxy = RunningProxy.start(dns.address(), b -> b.bind(BindSettings.DEFAULT.withEnabled(true)));
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(proxy, dns);
    }

    private static NodeScript bind(int version, String expectedPeer) throws Exception {
        return NodeScript.start("socks-bind.js", "127.0.0.1", Integer.toString(proxy.address().getPort()),
                Integer.toString(version), expectedPeer);
    }

    private static InetSocketAddress address(String hostAndPort) {
        String[] parts = hostAndPort.split(" ");
        // Netty parses the literal without any lookup.
        return new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(parts[0]), Integer.parseInt(parts[1]));
    }

    @ParameterizedTest(name = "SOCKS{0} expecting {1}")
    @CsvSource({"5, 127.0.0.1", "4, 127.0.0.1", "5, " + PEER_NAME, "4, " + PEER_NAME})
    void bindThroughTheNpmSocksClientCarriesDataBothWays(int version, String expectedPeer) throws Exception {
        try (NodeScript script = bind(version, expectedPeer)) {
            InetSocketAddress listening = address(script.expect("bound", STEP));
            assertThat(listening.getAddress()).isEqualTo(Loopback.IPV4);
            try (Socket peer = RawBind.connectFrom(Loopback.IPV4, listening)) {
                assertThat(address(script.expect("established", STEP))).isEqualTo(peer.getLocalSocketAddress());
                CompletableFuture<byte[]> echoed = Background.call("node-echo-reader",
                        () -> peer.getInputStream().readAllBytes());
                byte[] payload = SeededBytes.generate(version, PAYLOAD_BYTES);
                peer.getOutputStream().write(payload);
                peer.shutdownOutput();
                String sha256 = SeededBytes.sha256Hex(payload);
                assertThat(script.expect("received", STEP)).isEqualTo(PAYLOAD_BYTES + " " + sha256);
                byte[] back = echoed.get(STEP.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(back.length).isEqualTo(PAYLOAD_BYTES);
                assertThat(SeededBytes.sha256Hex(back)).isEqualTo(sha256);
            }
            assertThat(script.awaitExit(STEP)).as("the script's exit status").isZero();
        }
    }

    @Test
    void wrongPeerMakesTheNpmClientFailWithTheRejection() throws Exception {
        InetAddress stranger = Loopback.ipv4(127, 0, 0, 2);
        assumeTrue(Loopback.canBind(stranger), "127.0.0.2 unavailable");
        try (NodeScript script = bind(5, "127.0.0.1")) {
            InetSocketAddress listening = address(script.expect("bound", STEP));
            try (Socket peer = RawBind.connectFrom(stranger, listening)) {
                assertThat(script.expect("error", STEP)).contains("NotAllowed");
                RawBind.assertClosedWithoutData(peer);
            }
            assertThat(script.awaitExit(STEP)).isEqualTo(1);
        }
    }
}
