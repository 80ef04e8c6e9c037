package dev.ferryproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.testing.RawSocksClient;
import dev.ferryproxy.testing.RawSocksClient.Socks5Reply;
import dev.ferryproxy.testing.SocksRequests;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/** RFC 1929 steps on a {@link RawSocksClient}, written out byte by byte as the tests expect them. */
final class Socks5Login {
    /** Method 0x02, username/password. */
    static final int PASSWORD_METHOD = 0x02;
    /** Method 0x00, no authentication. */
    static final int NO_AUTH_METHOD = 0x00;

    private Socks5Login() {
    }

    /**
     * Greets offering only 0x02, checks that the server chose it, sends the login and returns the
     * server's STATUS (0 for success).
     */
    static int login(RawSocksClient client, String user, String password) throws IOException {
        return login(client, user.getBytes(StandardCharsets.UTF_8), password.getBytes(StandardCharsets.UTF_8));
    }

    /** {@link #login(RawSocksClient, String, String)} with the fields as raw bytes. */
    static int login(RawSocksClient client, byte[] user, byte[] password) throws IOException {
        greetOfferingPassword(client);
        return sendLogin(client, user, password);
    }

    /** Greets offering only 0x02 and checks that the server chose it. */
    static void greetOfferingPassword(RawSocksClient client) throws IOException {
        client.send(SocksRequests.socks5GreetingOffering(PASSWORD_METHOD));
        assertThat(RawSocksClient.hex(client.read(2))).as("method selection").isEqualTo("05 02");
    }

    /** Sends the RFC 1929 login of a client that has greeted, and returns the server's STATUS. */
    static int sendLogin(RawSocksClient client, String user, String password) throws IOException {
        return sendLogin(client, user.getBytes(StandardCharsets.UTF_8), password.getBytes(StandardCharsets.UTF_8));
    }

    private static int sendLogin(RawSocksClient client, byte[] user, byte[] password) throws IOException {
        client.send(SocksRequests.rfc1929Login(user, password));
        byte[] answer = client.read(2);
        assertThat(answer[0]).as("RFC 1929 reply version in %s", RawSocksClient.hex(answer)).isEqualTo((byte) 1);
        return answer[1] & 0xFF;
    }

    /** Logs in (which must succeed), sends {@code request} and returns the reply. */
    static Socks5Reply loginAndConnect(RawSocksClient client, String user, String password, byte[] request)
            throws IOException {
        assertThat(login(client, user, password)).as("login status for '%s'", user).isZero();
        client.send(request);
        return client.readSocks5Reply();
    }

    /** A tunnel through {@code proxy} to {@code target} as {@code user}, checked to have succeeded. */
    static RawSocksClient tunnel(InetSocketAddress proxy, String user, String password, InetSocketAddress target)
            throws IOException {
        RawSocksClient client = RawSocksClient.connect(proxy);
        try {
            Socks5Reply reply = loginAndConnect(client, user, password, SocksRequests.socks5Connect(target));
            assertThat(reply.rep()).as("CONNECT %s as %s: %s", target, user, reply).isZero();
            return client;
        } catch (IOException | RuntimeException | AssertionError e) {
            client.close();
            throw e;
        }
    }

    /**
     * Asserts that the server sends nothing more and closes cleanly: the next read is end of
     * stream (a reset fails it; each caller's whole handshake arrives in one segment, so the
     * proxy has read everything before it closes).
     */
    static void assertClosedByServer(RawSocksClient client) throws IOException {
        byte[] rest;
        try {
            rest = client.readUntilEof();
        } catch (SocketException e) {
            throw new AssertionError("expected a clean close (end of stream), got " + e, e);
        }
        assertThat(rest).as("bytes after the last reply: %s", RawSocksClient.hex(rest)).isEmpty();
    }

    /** Writes {@code payload} and checks that exactly it comes back (from an echo target). */
    static void assertEchoes(RawSocksClient client, byte[] payload) throws IOException {
        client.send(payload);
        assertThat(client.read(payload.length)).isEqualTo(payload);
    }
}
