package dev.ferryproxy.app;

import static dev.ferryproxy.app.ConfigurationIT.LISTENING;
import static dev.ferryproxy.app.ConfigurationIT.LOOPBACK_DNS;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.Map;

/**
 * The access log of the real jar: JSON lines on standard output by default, parsed and checked
 * against the traffic (a tunnel's bytes each way, a denied request's code, a name with control
 * characters escaped); with {@code --access-log PATH} the lines go to the file instead.
 */
class AccessLogIT {
    private static LoopbackTargets targets;

    @TempDir
    Path dir;

    @BeforeAll
    static void startTargets() throws IOException {
        targets = new LoopbackTargets();
    }

    @AfterAll
    static void stopTargets() throws IOException {
        targets.close();
    }

    @Test
    void eachRequestIsOneJsonLineOnStandardOutput() throws Exception {
        Path config = Files.writeString(dir.resolve("ferry.yaml"), "rules:\n"
                + "  - { action: deny, destinations: [\"127.0.0.2/32\"] }\n"
                + "  - { action: allow }\n", StandardCharsets.UTF_8);
        try (FerryProcess ferry = FerryProcess.startJar("--config", config.toString(), "--listen", "127.0.0.1:0",
                "--dns-server", LOOPBACK_DNS)) {
            int proxyPort = port(ferry.awaitStdout(LISTENING).group(1));
            byte[] bytes = new byte[70_000];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) (i * 7);
            }
            try (Socket tunnel = socks5Connect(proxyPort, new byte[] {1, 127, 0, 0, 1}, targets.echoPort(), 0)) {
                tunnel.getOutputStream().write(bytes);
                byte[] back = new byte[bytes.length];
                new DataInputStream(tunnel.getInputStream()).readFully(back);
                assertThat(back).isEqualTo(bytes);
                tunnel.shutdownOutput();
                assertThat(tunnel.getInputStream().read()).isEqualTo(-1);
            }
            Map<String, Object> tunnel = JsonLines.parse(ferry.awaitStdout("^\\{.*\"command\":\"connect\".*\"reply\":0,.*").group());
            assertThat(tunnel).containsEntry("listener", "127.0.0.1:" + proxyPort).containsEntry("client", "127.0.0.1")
                    .containsEntry("user", null).containsEntry("version", 5)
                    .containsEntry("requested", "127.0.0.1:" + targets.echoPort())
                    .containsEntry("dialled", "127.0.0.1:" + targets.echoPort())
                    .containsEntry("bytesFromClient", bytes.length).containsEntry("bytesToClient", bytes.length)
                    .containsEntry("end", "client_closed").containsKeys("time", "durationMs");

            socks5Connect(proxyPort, new byte[] {1, 127, 0, 0, 2}, 80, 2).close();
            Map<String, Object> denied = JsonLines.parse(ferry.awaitStdout("^\\{.*\"reply\":2,.*").group());
            assertThat(denied).containsEntry("requested", "127.0.0.2:80").containsEntry("end", "rejected")
                    .containsEntry("dialled", null).containsEntry("bytesFromClient", 0);

            String name = "bad\n\"name\u0001.invalid";
            byte[] nameBytes = name.getBytes(StandardCharsets.ISO_8859_1);
            byte[] request = new byte[2 + nameBytes.length];
            request[0] = 3;
            request[1] = (byte) nameBytes.length;
            System.arraycopy(nameBytes, 0, request, 2, nameBytes.length);
            socks5Connect(proxyPort, request, 80, -1).close();
            String line = ferry.awaitStdout("^\\{.*\"requested\":\"bad.*").group();
            assertThat(line).doesNotContain("\u0001");
            assertThat(JsonLines.parse(line)).containsEntry("requested", "bad\\x0a\"name\\x01.invalid:80");

            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
        }
    }

    @Test
    void accessLogPathWritesToTheFileAndOffWritesNothing() throws Exception {
        Path log = dir.resolve("access.log");
        try (FerryProcess ferry = FerryProcess.startJar("--listen", "127.0.0.1:0", "--access-log", log.toString(),
                "--dns-server", LOOPBACK_DNS)) {
            int proxyPort = port(ferry.awaitStdout(LISTENING).group(1));
            try (Socket tunnel = socks5Connect(proxyPort, new byte[] {1, 127, 0, 0, 1}, targets.echoPort(), 0)) {
                tunnel.shutdownOutput();
                assertThat(tunnel.getInputStream().read()).isEqualTo(-1);
            }
            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
            assertThat(ferry.stdout()).doesNotContain("\"command\"");
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertThat(lines).hasSize(1);
        assertThat(JsonLines.parse(lines.get(0))).containsEntry("command", "connect").containsEntry("reply", 0);

        try (FerryProcess ferry = FerryProcess.startJar("--listen", "127.0.0.1:0", "--access-log", "off",
                "--dns-server", LOOPBACK_DNS)) {
            int proxyPort = port(ferry.awaitStdout(LISTENING).group(1));
            socks5Connect(proxyPort, new byte[] {1, 127, 0, 0, 1}, targets.echoPort(), 0).close();
            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
            assertThat(ferry.stdout()).doesNotContain("\"command\"");
        }
    }

    @Test
    void anAccessLogThatCannotBeOpenedStopsTheStart() throws Exception {
        Path missing = dir.resolve("no-such-dir").resolve("access.log");
        try (FerryProcess ferry = FerryProcess.startJar("--listen", "127.0.0.1:0", "--access-log", missing.toString(),
                "--dns-server", LOOPBACK_DNS)) {
            ferry.awaitStdout("Ferry cannot start: cannot write the access log to " + Pattern.quote(missing.toString())
                    + ".*No such file or directory");
            assertThat(ferry.awaitExit()).isEqualTo(1);
        }
    }

    private static int port(String hostAndPort) {
        return Integer.parseInt(hostAndPort.substring(hostAndPort.lastIndexOf(':') + 1));
    }

    /**
     * A SOCKS5 CONNECT without authentication: {@code address} is ATYP and ADDR; checks the reply
     * code is {@code expectedRep} (-1: any failure).
     */
    private static Socket socks5Connect(int proxyPort, byte[] address, int port, int expectedRep) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxyPort);
        try {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] request = new byte[6 + address.length];
            request[0] = 5;
            request[1] = 1;
            System.arraycopy(address, 0, request, 3, address.length);
            request[3 + address.length] = (byte) (port >> 8);
            request[4 + address.length] = (byte) port;
            out.write(new byte[] {5, 1, 0});
            out.write(request, 0, 5 + address.length);
            out.flush();
            assertThat(new byte[] {in.readByte(), in.readByte()}).containsExactly(5, 0);
            byte[] head = new byte[4];
            in.readFully(head);
            // BND.ADDR and BND.PORT, by ATYP
            in.readFully(new byte[head[3] == 4 ? 18 : head[3] == 3 ? in.readUnsignedByte() + 2 : 6]);
            if (expectedRep >= 0) {
                assertThat(head[1] & 0xFF).as("CONNECT reply code").isEqualTo(expectedRep);
            } else {
                assertThat(head[1] & 0xFF).as("CONNECT reply code").isNotZero();
            }
            return socket;
        } catch (IOException | AssertionError e) {
            socket.close();
            throw e;
        }
    }
}
