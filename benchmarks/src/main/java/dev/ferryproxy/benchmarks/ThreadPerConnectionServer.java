package dev.ferryproxy.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.function.Consumer;

/**
 * A loopback listener for benchmark targets that serves each connection on a daemon thread of
 * its own: plain blocking I/O, so the target's cost is not mixed up with the event loops measured.
 */
final class ThreadPerConnectionServer implements AutoCloseable {
    private final ServerSocketChannel server;

    /** Listens on a free loopback port; {@code serve} runs once per connection, on its thread. */
    ThreadPerConnectionServer(String name, Consumer<SocketChannel> serve) throws IOException {
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread acceptor = new Thread(() -> acceptLoop(name, serve), name + "-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    InetSocketAddress address() throws IOException {
        return (InetSocketAddress) server.getLocalAddress();
    }

    private void acceptLoop(String name, Consumer<SocketChannel> serve) {
        while (server.isOpen()) {
            try {
                SocketChannel connection = server.accept();
                Thread worker = new Thread(() -> serve.accept(connection), name + "-connection");
                worker.setDaemon(true);
                worker.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
