package dev.ferryproxy.e2e;

import static dev.ferryproxy.testing.SocksRequests.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RawSocksClient.Socks4Reply;
import dev.ferryproxy.testing.RawSocksClient.Socks5Reply;
import dev.ferryproxy.testing.SeededBytes;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** BIND spoken by hand: the first reply of each version, the peers that connect, and a transfer through it. */
final class RawBind {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** SOCKS4's failure reply: {@code 00 5B}, port and address zero. */
    static final byte[] SOCKS4_REJECTED = bytes(0x00, 91, 0, 0, 0, 0, 0, 0);

    private RawBind() {
    }

    /** {@code 05 REP 00 01 0.0.0.0:0}: the reply Ferry sends on every failure. */
    static byte[] socks5Failure(int rep) {
        return bytes(0x05, rep, 0x00, 0x01, 0, 0, 0, 0, 0, 0);
    }

    /** Greets, sends {@code request} (a SOCKS5 BIND), and checks the first reply succeeded; returns where the proxy listens. */
    static InetSocketAddress socks5Listening(RawSocksClient client, byte[] request) throws IOException {
        client.greetNoAuth().send(request);
        Socks5Reply first = client.readSocks5Reply();
        assertThat(first.rep()).as("first reply %s", first).isZero();
        assertThat(first.bnd().getPort()).isPositive();
        return first.bnd();
    }

    /** Sends {@code request} (a SOCKS4 BIND) and checks the first reply granted it; returns where the proxy listens. */
    static InetSocketAddress socks4Listening(RawSocksClient client, byte[] request) throws IOException {
        client.send(request);
        Socks4Reply first = client.readSocks4Reply();
        assertThat(first.version()).isZero();
        assertThat(first.status()).as("first reply %s", first).isEqualTo(90);
        assertThat(first.bnd().getPort()).isPositive();
        return first.bnd();
    }

    /** A peer connected to {@code listener} from {@code local}, its reads bounded by {@link #TIMEOUT}. */
    static Socket connectFrom(InetAddress local, InetSocketAddress listener) throws IOException {
        Socket peer = new Socket();
        try {
            peer.setTcpNoDelay(true);
            peer.bind(new InetSocketAddress(local, 0));
            peer.connect(listener, Math.toIntExact(TIMEOUT.toMillis()));
            peer.setSoTimeout(Math.toIntExact(TIMEOUT.toMillis()));
            return peer;
        } catch (IOException | RuntimeException e) {
            peer.close();
            throw e;
        }
    }

    /**
     * Up to {@code count} peers of {@code listener}: the connects are all issued before any is
     * waited for, so that they race. Those the listener refused or reset are left out.
     */
    static List<Socket> connectAtOnce(InetSocketAddress listener, int count) throws IOException {
        List<SocketChannel> channels = new ArrayList<>();
        List<Socket> connected = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                SocketChannel channel = SocketChannel.open();
                channels.add(channel);
                channel.configureBlocking(false);
                channel.connect(listener);
            }
            for (SocketChannel channel : channels) {
                try {
                    channel.configureBlocking(true);
                    channel.finishConnect();
                    channel.socket().setSoTimeout(Math.toIntExact(TIMEOUT.toMillis()));
                    connected.add(channel.socket());
                } catch (SocketException refusedOrReset) {
                    // Refused once the listener had closed, or reset in its queue when it closed.
                    channel.close();
                }
            }
            return connected;
        } catch (IOException | RuntimeException e) {
            for (SocketChannel channel : channels) {
                channel.close();
            }
            throw e;
        }
    }

    /** Whether a connection to {@code address} is refused, i.e. nothing listens there any more. */
    static boolean refusesConnections(InetSocketAddress address) throws IOException {
        try (Socket probe = new Socket()) {
            probe.connect(address, Math.toIntExact(TIMEOUT.toMillis()));
            return false;
        } catch (ConnectException e) {
            return true;
        }
    }

    /** Checks that {@code socket} was closed by the other side without a byte: end of stream or a reset. */
    static void assertClosedWithoutData(Socket socket) throws IOException {
        int first;
        try {
            first = socket.getInputStream().read();
        } catch (SocketException reset) {
            return;
        }
        assertThat(first).as("the first byte read, -1 for end of stream").isEqualTo(-1);
    }

    /**
     * Half-close both ways through a BIND tunnel: the client sends {@code upBytes} and ends its
     * output; once the peer has seen that end it still sends {@code downBytes} and ends too. Both
     * sides must receive exactly what the other sent (by SHA-256), and the client its end of stream.
     */
    static void exchangeWithHalfClose(RawSocksClient client, Socket peer, int upBytes, int downBytes) throws Exception {
        byte[] up = SeededBytes.generate(upBytes, upBytes);
        byte[] down = SeededBytes.generate(downBytes, downBytes);
        CompletableFuture<byte[]> atPeer = Background.call("bind-peer-reader", () -> peer.getInputStream().readAllBytes());
        CompletableFuture<byte[]> atClient = Background.call("bind-client-reader", client::readUntilEof);
        client.send(up);
        client.shutdownOutput();
        byte[] gotUp = atPeer.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(gotUp.length).as("bytes at the peer").isEqualTo(upBytes);
        assertThat(SeededBytes.sha256Hex(gotUp)).isEqualTo(SeededBytes.sha256Hex(up));
        // The client's output has ended; its input must still carry everything the peer sends.
        peer.getOutputStream().write(down);
        peer.shutdownOutput();
        byte[] gotDown = atClient.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(gotDown.length).as("bytes at the client").isEqualTo(downBytes);
        assertThat(SeededBytes.sha256Hex(gotDown)).isEqualTo(SeededBytes.sha256Hex(down));
    }
}
