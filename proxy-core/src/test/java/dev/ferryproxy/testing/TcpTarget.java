package dev.ferryproxy.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback listener that hands each accepted connection to the test as a blocking socket, for
 * tests that script the target's side themselves (half-close, transfers). Accepted sockets get a
 * read timeout and are closed with the target.
 */
public final class TcpTarget implements AutoCloseable {
    private final ServerSocket listener;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();

    private TcpTarget(ServerSocket listener) {
        this.listener = listener;
    }

    /** Listens on {@code address} with a port the system picks. */
    public static TcpTarget start(InetAddress address) throws IOException {
        ServerSocket listener = new ServerSocket();
        listener.bind(new InetSocketAddress(address, 0));
        return new TcpTarget(listener);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    /**
     * The next connection, waiting up to {@code timeout}; its reads time out after {@code timeout} too.
     *
     * @throws AssertionError when nobody connects in time
     */
    public Socket accept(Duration timeout) throws IOException {
        listener.setSoTimeout(Math.toIntExact(timeout.toMillis()));
        Socket socket;
        try {
            socket = listener.accept();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no connection reached the target on " + address() + " within " + timeout);
        }
        accepted.add(socket);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(Math.toIntExact(timeout.toMillis()));
        return socket;
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket socket : accepted) {
            socket.close();
        }
    }
}
