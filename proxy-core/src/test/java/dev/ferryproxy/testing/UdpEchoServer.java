package dev.ferryproxy.testing;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A UDP echo server on a loopback address and an ephemeral port, on a plain thread: every
 * datagram is sent back to where it came from, unchanged. The senders are recorded.
 */
public final class UdpEchoServer implements AutoCloseable {
    private final DatagramSocket socket;
    private final BlockingQueue<SocketAddress> senders = new LinkedBlockingQueue<>();

    private UdpEchoServer(DatagramSocket socket) {
        this.socket = socket;
        Thread worker = new Thread(this::echoLoop, "udp-echo-" + socket.getLocalPort());
        worker.setDaemon(true);
        worker.start();
    }

    public static UdpEchoServer start(InetAddress address) throws IOException {
        return new UdpEchoServer(new DatagramSocket(new InetSocketAddress(address, 0)));
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** The sender of the next datagram echoed (in arrival order), or null after {@code timeoutMillis}. */
    public SocketAddress pollSender(long timeoutMillis) throws InterruptedException {
        return senders.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    private void echoLoop() {
        byte[] buffer = new byte[65535];
        while (!socket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(packet);
                senders.add(packet.getSocketAddress());
                socket.send(new DatagramPacket(packet.getData(), packet.getOffset(), packet.getLength(),
                        packet.getSocketAddress()));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
