package dev.ferryproxy.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** The bytes of a SOCKS5 no-auth CONNECT to an IPv4 target, for benchmark clients. */
final class Socks5Handshake {
    private Socks5Handshake() {
    }

    static void connect(SocketChannel proxy, InetSocketAddress target) throws IOException {
        byte[] ip = target.getAddress().getAddress();
        ByteBuffer request = ByteBuffer.allocate(3 + 10)
                .put(new byte[] {5, 1, 0})
                .put(new byte[] {5, 1, 0, 1}).put(ip).putShort((short) target.getPort())
                .flip();
        while (request.hasRemaining()) {
            proxy.write(request);
        }
        ByteBuffer reply = ByteBuffer.allocate(2 + 10);
        while (reply.hasRemaining()) {
            if (proxy.read(reply) < 0) {
                throw new IOException("proxy closed during the handshake");
            }
        }
        if (reply.get(1) != 0 || reply.get(3) != 0) {
            throw new IOException("proxy refused: method " + reply.get(1) + ", reply " + reply.get(3));
        }
    }
}
