package dev.ferryproxy.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Debian's redis-server on a loopback port, without persistence, for the fleet-wide limits'
 * tests. It can be stopped and started again on the same port, as an outage of the store. With
 * {@link #startTls} it speaks only TLS (Debian builds redis-server with it) on that port.
 */
public final class RedisServer implements AutoCloseable {
    public static final Path REDIS_SERVER = Path.of("/usr/bin/redis-server");

    private final InetSocketAddress address;
    private final String password;
    /** The TLS certificate and key (PEM), both null for plain TCP. */
    private final Path certificate;
    private final Path key;
    private ExternalServerProcess process;

    private RedisServer(InetSocketAddress address, String password, Path certificate, Path key) {
        this.address = address;
        this.password = password;
        this.certificate = certificate;
        this.key = key;
    }

    /** Starts a server on a free loopback port; {@code password} null for none. */
    public static RedisServer start(String password) throws IOException {
        return start(password, null, null);
    }

    /**
     * Starts a server that speaks only TLS on a free loopback port, presenting {@code certificate}
     * (PEM, with its chain if any) and {@code key}; clients need no certificate of their own.
     */
    public static RedisServer startTls(Path certificate, Path key) throws IOException {
        return start(null, certificate, key);
    }

    private static RedisServer start(String password, Path certificate, Path key) throws IOException {
        ExternalServerProcess.requireBinary(REDIS_SERVER, "redis-server");
        IOException failure = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            RedisServer server = new RedisServer(Loopback.closedPort(Loopback.IPV4), password, certificate, key);
            try {
                server.startAgain();
                return server;
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        throw failure;
    }

    /** Starts the server (again) on its port, empty: nothing survives a stop. */
    public void startAgain() throws IOException {
        if (process != null) {
            throw new IllegalStateException("already running");
        }
        Path directory = Files.createTempDirectory("ferry-redis-");
        List<String> command = new ArrayList<>(List.of(REDIS_SERVER.toString(), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", directory.toString()));
        if (certificate == null) {
            command.addAll(List.of("--port", String.valueOf(address.getPort())));
        } else {
            // no plain port at all; clients are not asked for certificates, so no CA is needed here
            command.addAll(List.of("--port", "0", "--tls-port", String.valueOf(address.getPort()),
                    "--tls-cert-file", certificate.toString(), "--tls-key-file", key.toString(),
                    "--tls-auth-clients", "no"));
        }
        if (password != null) {
            command.addAll(List.of("--requirepass", password));
        }
        try {
            process = ExternalServerProcess.start("redis-server", command, directory, address);
        } catch (IOException e) {
            ExternalServerProcess.deleteRecursively(directory);
            throw e;
        }
    }

    /** Stops the server (an outage); {@link #startAgain()} brings it back, empty. */
    public void stop() throws IOException {
        if (process != null) {
            process.close();
            process = null;
        }
    }

    /**
     * Makes the server forget every loaded Lua script (SCRIPT FLUSH, with Debian's redis-cli), as a
     * restart or a failover to a replica would: a client must then send the scripts themselves again.
     */
    public void flushScripts() throws IOException, InterruptedException {
        String output = cli("SCRIPT", "FLUSH");
        if (!output.equals("OK")) {
            throw new IOException("redis-cli SCRIPT FLUSH answered '" + output + "'");
        }
    }

    /**
     * How many times {@code command} (lower case, e.g. {@code evalsha}) ran since the server
     * started or {@link #resetStatistics()}, from {@code INFO commandstats}: 0 when it never ran.
     */
    public long commandCalls(String command) throws IOException, InterruptedException {
        java.util.regex.Matcher calls = java.util.regex.Pattern.compile("(?m)^cmdstat_" + command + ":calls=(\\d+)")
                .matcher(cli("INFO", "commandstats"));
        return calls.find() ? Long.parseLong(calls.group(1)) : 0;
    }

    /**
     * Holds every client's writing commands (scripts included) for {@code pause} (CLIENT PAUSE ...
     * WRITE): they wait in the server, unanswered, as under a slow store; reads such as INFO go on.
     */
    public void pauseWrites(Duration pause) throws IOException, InterruptedException {
        cli("CLIENT", "PAUSE", Long.toString(pause.toMillis()), "WRITE");
    }

    /** Ends a {@link #pauseWrites} early: the blocked commands run now, in order. */
    public void unpause() throws IOException, InterruptedException {
        cli("CLIENT", "UNPAUSE");
    }

    /**
     * The lowest score in the sorted set {@code key} (ZRANGE key 0 0 WITHSCORES), as a whole
     * number; -1 when the set is empty. For leases, whose score is when they expire (ms).
     */
    public long lowestScore(String key) throws IOException, InterruptedException {
        String[] lines = cli("ZRANGE", key, "0", "0", "WITHSCORES").split("\n");
        return lines.length < 2 ? -1 : (long) Double.parseDouble(lines[1].strip());
    }

    /** Zeroes the counts {@link #commandCalls} reads (CONFIG RESETSTAT). */
    public void resetStatistics() throws IOException, InterruptedException {
        cli("CONFIG", "RESETSTAT");
    }

    /** Runs one command with Debian's redis-cli and returns what it printed. */
    private String cli(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p",
                String.valueOf(address.getPort())));
        if (password != null) {
            command.addAll(List.of("-a", password, "--no-auth-warning"));
        }
        command.addAll(List.of(arguments));
        Process cli = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(cli.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        if (cli.waitFor() != 0) {
            throw new IOException("redis-cli " + String.join(" ", arguments) + " failed (exit " + cli.exitValue()
                    + "): " + output);
        }
        return output;
    }

    /** {@code redis://127.0.0.1:PORT}, or {@code rediss://} for a TLS server. */
    public URI uri() {
        return URI.create((certificate == null ? "redis" : "rediss") + "://127.0.0.1:" + address.getPort());
    }

    /**
     * Sends one command to a plain-TCP server (without a password) and returns its integer reply,
     * e.g. {@code ZCARD key}: for tests that look at what the store holds.
     */
    public long integerReply(String... command) throws IOException {
        if (certificate != null || password != null) {
            throw new IllegalStateException("only for a plain server without a password");
        }
        StringBuilder request = new StringBuilder("*" + command.length + "\r\n");
        for (String part : command) {
            request.append('$').append(part.getBytes(StandardCharsets.UTF_8).length).append("\r\n")
                    .append(part).append("\r\n");
        }
        try (Socket socket = new Socket()) {
            socket.connect(address, 2000);
            socket.setSoTimeout(2000);
            socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.UTF_8));
            String reply = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            if (reply == null || !reply.startsWith(":")) {
                throw new IOException(String.join(" ", command) + " answered " + reply + ", not an integer");
            }
            return Long.parseLong(reply.substring(1));
        }
    }

    @Override
    public void close() throws IOException {
        stop();
    }
}
