package dev.ferryproxy.testing;

import static dev.ferryproxy.testing.SocksRequests.bytes;
import static dev.ferryproxy.testing.SocksRequests.concat;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * A SOCKS5 UDP association made by hand: the control connection with {@link RawSocksClient}, and
 * a {@link DatagramSocket} that writes and reads the RFC 1928 UDP header itself. Every receive is
 * bounded by a timeout. Close it to close both.
 */
public final class RawUdpAssociation implements AutoCloseable {
    private static final Duration RETRY_AFTER = Duration.ofSeconds(1);
    private static final int ATTEMPTS = 5;

    private final RawSocksClient control;
    private final DatagramSocket socket;
    private final RawSocksClient.Socks5Reply reply;
    private final InetSocketAddress relay;

    private RawUdpAssociation(RawSocksClient control, DatagramSocket socket, RawSocksClient.Socks5Reply reply,
            InetSocketAddress relay) {
        this.control = control;
        this.socket = socket;
        this.reply = reply;
        this.relay = relay;
    }

    /**
     * A UDP socket on {@code localAddress}, and UDP ASSOCIATE through {@code proxy} (connected from
     * the same address) declaring that socket's address and port. Fails unless the reply is success.
     */
    public static RawUdpAssociation open(InetSocketAddress proxy, InetAddress localAddress) throws IOException {
        return open(proxy, localAddress, null);
    }

    /**
     * As {@link #open(InetSocketAddress, InetAddress)}, with {@code declared} as DST.ADDR and
     * DST.PORT of the request ({@code null} for the socket's own address).
     */
    public static RawUdpAssociation open(InetSocketAddress proxy, InetAddress localAddress, InetSocketAddress declared)
            throws IOException {
        RawUdpAssociation association = request(proxy, localAddress, declared);
        if (association.reply.rep() != 0) {
            association.close();
            throw new AssertionError("UDP ASSOCIATE through " + proxy + " failed: " + association.reply);
        }
        return association;
    }

    /** Sends the request like {@link #open(InetSocketAddress, InetAddress, InetSocketAddress)}, whatever the reply. */
    public static RawUdpAssociation request(InetSocketAddress proxy, InetAddress localAddress,
            InetSocketAddress declared) throws IOException {
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress(localAddress, 0));
        RawSocksClient control = null;
        try {
            socket.setSoTimeout(Math.toIntExact(RawSocksClient.READ_TIMEOUT.toMillis()));
            control = RawSocksClient.connectFrom(localAddress, proxy);
            InetSocketAddress from = declared != null ? declared : (InetSocketAddress) socket.getLocalSocketAddress();
            RawSocksClient.Socks5Reply reply = control.greetNoAuth()
                    .send(SocksRequests.socks5Request(SocksRequests.SOCKS5_UDP_ASSOCIATE, from))
                    .readSocks5Reply();
            InetSocketAddress relay = reply.bnd();
            if (relay.getAddress() != null && relay.getAddress().isAnyLocalAddress()) {
                relay = new InetSocketAddress(proxy.getAddress(), relay.getPort());
            }
            return new RawUdpAssociation(control, socket, reply, relay);
        } catch (IOException | RuntimeException | AssertionError e) {
            socket.close();
            if (control != null) {
                control.close();
            }
            throw e;
        }
    }

    public RawSocksClient.Socks5Reply reply() {
        return reply;
    }

    /** Where datagrams go: the reply's address and port. */
    public InetSocketAddress relay() {
        return relay;
    }

    public RawSocksClient control() {
        return control;
    }

    public DatagramSocket socket() {
        return socket;
    }

    /** Sends {@code payload} to {@code target} (IPv4 or IPv6) through the relay. */
    public void send(InetSocketAddress target, byte[] payload) throws IOException {
        sendRaw(datagram(0, target, payload));
    }

    /** Sends {@code payload} to the name {@code host} and {@code port} through the relay. */
    public void send(String host, int port, byte[] payload) throws IOException {
        sendRaw(datagram(0, host, port, payload));
    }

    /** Sends {@code packet} to the relay as it is. */
    public void sendRaw(byte[] packet) throws IOException {
        socket.send(new DatagramPacket(packet, packet.length, relay));
    }

    /** The next datagram, or {@code null} after {@code timeout}. */
    public Datagram receive(Duration timeout) throws IOException {
        byte[] buffer = new byte[65_536];
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        socket.setSoTimeout(Math.toIntExact(Math.max(1, timeout.toMillis())));
        try {
            socket.receive(packet);
        } catch (SocketTimeoutException e) {
            return null;
        }
        byte[] bytes = Arrays.copyOfRange(packet.getData(), packet.getOffset(), packet.getOffset() + packet.getLength());
        return Datagram.parse(bytes, (InetSocketAddress) packet.getSocketAddress());
    }

    /**
     * Sends {@code payload} to an echo {@code target} and waits for it to come back, sending again
     * when it does not (UDP promises nothing); datagrams that are not its echo are skipped.
     *
     * @return the echo
     */
    public Datagram roundTrip(InetSocketAddress target, byte[] payload) throws IOException {
        return roundTrip(() -> send(target, payload), payload);
    }

    /** As {@link #roundTrip(InetSocketAddress, byte[])}, to a target named by {@code host}. */
    public Datagram roundTrip(String host, int port, byte[] payload) throws IOException {
        return roundTrip(() -> send(host, port, payload), payload);
    }

    private Datagram roundTrip(IoAction send, byte[] payload) throws IOException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            send.run();
            long deadline = System.nanoTime() + RETRY_AFTER.toNanos();
            for (long left; (left = deadline - System.nanoTime()) > 0; ) {
                Datagram answer = receive(Duration.ofNanos(left));
                if (answer != null && Arrays.equals(answer.data(), payload)) {
                    return answer;
                }
            }
        }
        throw new AssertionError("no echo of a " + payload.length + "-byte datagram through " + relay + " after "
                + ATTEMPTS + " attempts");
    }

    /** The SOCKS5 UDP header and {@code payload}, for an IP address. */
    public static byte[] datagram(int frag, InetSocketAddress target, byte[] payload) {
        byte[] ip = target.getAddress().getAddress();
        return concat(bytes(0, 0, frag, ip.length == 4 ? 0x01 : 0x04), ip, port(target.getPort()), payload);
    }

    /** The SOCKS5 UDP header and {@code payload}, for a name. */
    public static byte[] datagram(int frag, String host, int port, byte[] payload) {
        byte[] name = host.getBytes(StandardCharsets.ISO_8859_1);
        return concat(bytes(0, 0, frag, 0x03, name.length), name, port(port), payload);
    }

    private static byte[] port(int port) {
        return bytes(port >> 8, port);
    }

    @Override
    public void close() throws IOException {
        socket.close();
        control.close();
    }

    private interface IoAction {
        void run() throws IOException;
    }

    /**
     * A datagram from the relay, header taken apart.
     *
     * @param frag the FRAG byte
     * @param source the address in the header (unresolved for a name)
     * @param data the payload
     * @param sender where the datagram came from (the relay)
     */
    public record Datagram(int frag, InetSocketAddress source, byte[] data, InetSocketAddress sender) {
        static Datagram parse(byte[] packet, InetSocketAddress sender) throws IOException {
            ByteBuffer in = ByteBuffer.wrap(packet);
            if (in.getShort() != 0) {
                throw new AssertionError("RSV is not zero: " + RawSocksClient.hex(packet));
            }
            int frag = in.get() & 0xFF;
            int atyp = in.get() & 0xFF;
            InetSocketAddress source;
            switch (atyp) {
                case 0x01:
                case 0x04: {
                    byte[] ip = new byte[atyp == 0x01 ? 4 : 16];
                    in.get(ip);
                    source = new InetSocketAddress(InetAddress.getByAddress(ip), in.getShort() & 0xFFFF);
                    break;
                }
                case 0x03: {
                    byte[] name = new byte[in.get() & 0xFF];
                    in.get(name);
                    source = InetSocketAddress.createUnresolved(new String(name, StandardCharsets.ISO_8859_1),
                            in.getShort() & 0xFFFF);
                    break;
                }
                default:
                    throw new AssertionError("unknown ATYP " + atyp + ": " + RawSocksClient.hex(packet));
            }
            byte[] data = new byte[in.remaining()];
            in.get(data);
            return new Datagram(frag, source, data, sender);
        }
    }
}
