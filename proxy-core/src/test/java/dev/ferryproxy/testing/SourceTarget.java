package dev.ferryproxy.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback target that sends every connection bytes as fast as it takes them, up to a bound
 * per connection, then closes it: the download side of bandwidth and quota tests. One thread per
 * connection; what the client sends is ignored.
 */
public final class SourceTarget implements AutoCloseable {
    private static final int CHUNK = 16 * 1024;

    private final ServerSocket listener;
    private final long bytesPerConnection;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    private SourceTarget(ServerSocket listener, long bytesPerConnection) {
        this.listener = listener;
        this.bytesPerConnection = bytesPerConnection;
        this.acceptor = new Thread(this::acceptLoop, "source-target-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Listens on {@code address}; each connection gets at most {@code bytesPerConnection} bytes. */
    public static SourceTarget start(InetAddress address, long bytesPerConnection) throws IOException {
        ServerSocket listener = new ServerSocket();
        listener.bind(new InetSocketAddress(address, 0));
        return new SourceTarget(listener, bytesPerConnection);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket socket = listener.accept();
                accepted.add(socket);
                Thread sender = new Thread(() -> send(socket), "source-target-send");
                sender.setDaemon(true);
                sender.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void send(Socket socket) {
        byte[] chunk = new byte[CHUNK];
        try (socket; OutputStream out = socket.getOutputStream()) {
            long left = bytesPerConnection;
            while (left > 0) {
                int n = (int) Math.min(chunk.length, left);
                out.write(chunk, 0, n);
                left -= n;
            }
        } catch (IOException closedByPeer) {
            // the tunnel closed: this connection is done
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket socket : accepted) {
            socket.close();
        }
    }
}
