package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A raw SOCKS5 client: logs in with RFC 1929 and opens one CONNECT tunnel to 127.0.0.1. */
final class Socks5Tunnel implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    private Socks5Tunnel(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects through the proxy at 127.0.0.1:{@code proxyPort} to 127.0.0.1:{@code targetPort}, failing the test on any refusal. */
    static Socks5Tunnel open(int proxyPort, String user, String password, int targetPort) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxyPort);
        socket.setSoTimeout(20_000);
        Socks5Tunnel tunnel = new Socks5Tunnel(socket);
        try {
            tunnel.handshake(user, password, targetPort);
        } catch (IOException | AssertionError e) {
            socket.close();
            throw e;
        }
        return tunnel;
    }

    private void handshake(String user, String password, int targetPort) throws IOException {
        out.write(new byte[] {5, 1, 2});
        out.flush();
        assertThat(new byte[] {in.readByte(), in.readByte()}).as("method selection").containsExactly(5, 2);
        byte[] name = user.getBytes(StandardCharsets.UTF_8);
        byte[] secret = password.getBytes(StandardCharsets.UTF_8);
        out.write(1);
        out.write(name.length);
        out.write(name);
        out.write(secret.length);
        out.write(secret);
        out.flush();
        assertThat(new byte[] {in.readByte(), in.readByte()}).as("login status").containsExactly(1, 0);
        out.write(new byte[] {5, 1, 0, 1, 127, 0, 0, 1, (byte) (targetPort >> 8), (byte) targetPort});
        out.flush();
        byte[] reply = new byte[10];
        in.readFully(reply);
        assertThat(reply[1]).as("CONNECT reply code").isZero();
    }

    /** Sends {@code text} and reads the same number of bytes back. */
    String roundTrip(String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.write(bytes);
        out.flush();
        byte[] back = new byte[bytes.length];
        in.readFully(back);
        return new String(back, StandardCharsets.UTF_8);
    }

    /** Reads until the proxy closes the tunnel; returns -1 then (or a byte, if one came). */
    int read() throws IOException {
        return in.read();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
