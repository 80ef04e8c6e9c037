package dev.ferryproxy.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A loopback target that sends on demand, one thread per connection: each 4-byte request (a
 * big-endian count) is answered with that many bytes. A stream that is not being measured then
 * holds no bytes in any socket buffer (a target that wrote without end would fill every idle
 * stream's buffers, megabytes each, and push the kernel's TCP memory into pressure).
 */
final class SourceServer implements AutoCloseable {
    private final ThreadPerConnectionServer server;

    SourceServer() throws IOException {
        server = new ThreadPerConnectionServer("source", SourceServer::fill);
    }

    InetSocketAddress address() throws IOException {
        return server.address();
    }

    private static void fill(SocketChannel connection) {
        ByteBuffer request = ByteBuffer.allocate(4);
        ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
        try (connection) {
            while (true) {
                request.clear();
                while (request.hasRemaining()) {
                    if (connection.read(request) < 0) {
                        return;
                    }
                }
                for (int left = request.getInt(0); left > 0; ) {
                    buffer.clear().limit(Math.min(buffer.capacity(), left));
                    left -= connection.write(buffer);
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    /** Asks for {@code bytes} more on {@code connection}. */
    static void request(SocketChannel connection, int bytes) throws IOException {
        ByteBuffer request = ByteBuffer.allocate(4).putInt(0, bytes);
        while (request.hasRemaining()) {
            connection.write(request);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
