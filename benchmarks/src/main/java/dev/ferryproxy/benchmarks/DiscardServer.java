package dev.ferryproxy.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** A loopback target that reads and drops everything, one thread per connection. */
final class DiscardServer implements AutoCloseable {
    private final ThreadPerConnectionServer server;

    DiscardServer() throws IOException {
        server = new ThreadPerConnectionServer("discard", DiscardServer::drain);
    }

    InetSocketAddress address() throws IOException {
        return server.address();
    }

    private static void drain(SocketChannel connection) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
        try (connection) {
            while (connection.read(buffer) >= 0) {
                buffer.clear();
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
