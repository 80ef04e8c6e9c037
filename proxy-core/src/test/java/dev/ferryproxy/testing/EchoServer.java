package dev.ferryproxy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP echo server on a loopback address and an ephemeral port, on plain blocking threads. Each
 * connection gets back every byte it sends until it half-closes; then the server half-closes
 * back and closes. The remote address of every accepted connection is recorded, so a test can
 * check where the proxy connected from.
 */
public final class EchoServer implements AutoCloseable {
    private final ServerSocket listener;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final BlockingQueue<InetSocketAddress> peers = new LinkedBlockingQueue<>();
    private final AtomicInteger acceptedCount = new AtomicInteger();

    private EchoServer(ServerSocket listener) {
        this.listener = listener;
        Thread acceptor = new Thread(this::acceptLoop, "echo-accept-" + listener.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Starts an echo server on {@code address} (127.0.0.1, ::1, 127.0.0.2...) with a port the system picks. */
    public static EchoServer start(InetAddress address) throws IOException {
        ServerSocket listener = new ServerSocket();
        listener.bind(new InetSocketAddress(address, 0));
        return new EchoServer(listener);
    }

    /** Starts an echo server on exactly {@code address}, port included (to listen on a port another address uses). */
    public static EchoServer start(InetSocketAddress address) throws IOException {
        ServerSocket listener = new ServerSocket();
        try {
            listener.bind(address);
        } catch (IOException e) {
            listener.close();
            throw e;
        }
        return new EchoServer(listener);
    }

    /** How many connections have been accepted so far (awaiting a peer does not change it). */
    public int acceptedCount() {
        return acceptedCount.get();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** The remote address of the next connection accepted (in accept order), waiting up to {@code timeout}. */
    public InetSocketAddress awaitPeer(Duration timeout) throws InterruptedException {
        InetSocketAddress peer = peers.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (peer == null) {
            throw new AssertionError("no connection reached the echo server on " + address() + " within " + timeout);
        }
        return peer;
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            Socket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            connections.add(socket);
            acceptedCount.incrementAndGet();
            peers.add((InetSocketAddress) socket.getRemoteSocketAddress());
            Thread worker = new Thread(() -> echo(socket), "echo-" + socket.getPort());
            worker.setDaemon(true);
            worker.start();
        }
    }

    private void echo(Socket socket) {
        try (socket) {
            socket.setTcpNoDelay(true);
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) != -1; ) {
                out.write(buffer, 0, n);
            }
            socket.shutdownOutput();
        } catch (IOException e) {
            // the peer reset or the server closed: nothing to echo any more
        } finally {
            connections.remove(socket);
        }
    }

    /** Stops accepting and closes every open connection. */
    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket socket : connections) {
            socket.close();
        }
    }
}
