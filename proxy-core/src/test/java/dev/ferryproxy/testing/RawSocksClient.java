package dev.ferryproxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A blocking TCP client that writes scripted bytes to a SOCKS server and reads its replies,
 * every read bounded by a timeout (a read that times out throws {@link java.net.SocketTimeoutException}).
 * Reads are unbuffered: nothing past what a test asks for is taken off the socket.
 */
public final class RawSocksClient implements AutoCloseable {
    /** How long any single read waits unless a test sets its own. */
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawSocksClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Connects to {@code proxy} with TCP_NODELAY and the default read timeout. */
    public static RawSocksClient connect(InetSocketAddress proxy) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(proxy, Math.toIntExact(READ_TIMEOUT.toMillis()));
            socket.setSoTimeout(Math.toIntExact(READ_TIMEOUT.toMillis()));
            return new RawSocksClient(socket);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Connects to {@code proxy} from {@code localAddress} (say 127.0.0.2, so the proxy sees another
     * client address), with TCP_NODELAY and the default read timeout.
     */
    public static RawSocksClient connectFrom(InetAddress localAddress, InetSocketAddress proxy) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.bind(new InetSocketAddress(localAddress, 0));
            socket.connect(proxy, Math.toIntExact(READ_TIMEOUT.toMillis()));
            socket.setSoTimeout(Math.toIntExact(READ_TIMEOUT.toMillis()));
            return new RawSocksClient(socket);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Wraps a socket the test connected and configured itself. */
    public static RawSocksClient over(Socket connected) throws IOException {
        return new RawSocksClient(connected);
    }

    /** A SOCKS5 CONNECT tunnel to {@code target} through {@code proxy}, checked to have succeeded. */
    public static RawSocksClient socks5Tunnel(InetSocketAddress proxy, InetSocketAddress target) throws IOException {
        RawSocksClient client = connect(proxy);
        try {
            Socks5Reply reply = client.socks5Connect(SocksRequests.socks5Connect(target));
            if (reply.rep() != 0) {
                throw new AssertionError("CONNECT " + target + " through " + proxy + " failed: " + reply);
            }
            return client;
        } catch (IOException | RuntimeException | AssertionError e) {
            client.close();
            throw e;
        }
    }

    public Socket socket() {
        return socket;
    }

    /** Writes {@code bytes} in one write. */
    public RawSocksClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Writes {@code text} as ASCII in one write. */
    public RawSocksClient send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** Writes {@code bytes} one byte per write (with TCP_NODELAY, one segment each). */
    public RawSocksClient sendOneBytePerWrite(byte[] bytes) throws IOException {
        for (byte b : bytes) {
            out.write(b);
            out.flush();
        }
        return this;
    }

    /** Sends the no-auth greeting and checks the server chose method 0x00. */
    public RawSocksClient greetNoAuth() throws IOException {
        send(SocksRequests.socks5Greeting());
        byte[] selection = read(2);
        if (selection[0] != 5 || selection[1] != 0) {
            throw new AssertionError("expected method selection 05 00, got " + hex(selection));
        }
        return this;
    }

    /** Greets, sends {@code request}, and returns the reply. */
    public Socks5Reply socks5Connect(byte[] request) throws IOException {
        greetNoAuth();
        send(request);
        return readSocks5Reply();
    }

    /** Exactly {@code n} bytes. Fails on end of stream, throws on timeout. */
    public byte[] read(int n) throws IOException {
        byte[] bytes = new byte[n];
        int got = 0;
        while (got < n) {
            int r = in.read(bytes, got, n - got);
            if (r == -1) {
                throw new AssertionError("end of stream after " + got + " of " + n + " bytes: "
                        + hex(Arrays.copyOf(bytes, got)));
            }
            got += r;
        }
        return bytes;
    }

    /** Exactly {@code n} bytes as ASCII text. */
    public String readText(int n) throws IOException {
        return new String(read(n), StandardCharsets.US_ASCII);
    }

    /** Everything until end of stream (each read bounded by the socket's timeout). */
    public byte[] readUntilEof() throws IOException {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        for (int r; (r = in.read(chunk)) != -1; ) {
            received.write(chunk, 0, r);
        }
        return received.toByteArray();
    }

    /** Reads a SOCKS5 reply: {@code VER REP RSV ATYP BND.ADDR BND.PORT}. */
    public Socks5Reply readSocks5Reply() throws IOException {
        byte[] head = read(4);
        InetAddress address = null;
        String domain = null;
        switch (head[3]) {
            case 0x01:
                address = InetAddress.getByAddress(read(4));
                break;
            case 0x04:
                address = InetAddress.getByAddress(read(16));
                break;
            case 0x03:
                domain = new String(read(read(1)[0] & 0xFF), StandardCharsets.ISO_8859_1);
                break;
            default:
                throw new AssertionError("reply with unknown ATYP: " + hex(head));
        }
        int port = readPort();
        InetSocketAddress bnd = address != null
                ? new InetSocketAddress(address, port)
                : InetSocketAddress.createUnresolved(domain, port);
        return new Socks5Reply(head[0] & 0xFF, head[1] & 0xFF, head[2] & 0xFF, head[3] & 0xFF, bnd);
    }

    /** Reads a SOCKS4 reply: {@code VN CD DSTPORT DSTIP}, 8 bytes. */
    public Socks4Reply readSocks4Reply() throws IOException {
        byte[] reply = read(8);
        int port = ((reply[2] & 0xFF) << 8) | (reply[3] & 0xFF);
        InetAddress address = InetAddress.getByAddress(Arrays.copyOfRange(reply, 4, 8));
        return new Socks4Reply(reply[0] & 0xFF, reply[1] & 0xFF, new InetSocketAddress(address, port));
    }

    private int readPort() throws IOException {
        byte[] port = read(2);
        return ((port[0] & 0xFF) << 8) | (port[1] & 0xFF);
    }

    /** Half-closes: the server sees end of stream, this client can still read. */
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** Bytes as lowercase hex pairs separated by spaces, for failure messages. */
    public static String hex(byte[] bytes) {
        return HexFormat.ofDelimiter(" ").formatHex(bytes);
    }

    /** A SOCKS5 reply. For ATYP 3 the bound address is unresolved, holding the name. */
    public record Socks5Reply(int version, int rep, int reserved, int atyp, InetSocketAddress bnd) {
    }

    /** A SOCKS4 reply. */
    public record Socks4Reply(int version, int status, InetSocketAddress bnd) {
    }
}
