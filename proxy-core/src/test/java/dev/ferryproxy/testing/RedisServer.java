package dev.ferryproxy.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Debian's redis-server on a loopback port, without persistence, for the fleet-wide limits'
 * tests. It can be stopped and started again on the same port, as an outage of the store.
 */
public final class RedisServer implements AutoCloseable {
    public static final Path REDIS_SERVER = Path.of("/usr/bin/redis-server");

    private final InetSocketAddress address;
    private final String password;
    private ExternalServerProcess process;

    private RedisServer(InetSocketAddress address, String password) {
        this.address = address;
        this.password = password;
    }

    /** Starts a server on a free loopback port; {@code password} null for none. */
    public static RedisServer start(String password) throws IOException {
        ExternalServerProcess.requireBinary(REDIS_SERVER, "redis-server");
        IOException failure = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            RedisServer server = new RedisServer(Loopback.closedPort(Loopback.IPV4), password);
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
                "--port", String.valueOf(address.getPort()), "--save", "", "--appendonly", "no",
                "--dir", directory.toString()));
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
        List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p",
                String.valueOf(address.getPort())));
        if (password != null) {
            command.addAll(List.of("-a", password, "--no-auth-warning"));
        }
        command.addAll(List.of("SCRIPT", "FLUSH"));
        Process cli = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(cli.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        if (cli.waitFor() != 0 || !output.equals("OK")) {
            throw new IOException("redis-cli SCRIPT FLUSH answered '" + output + "' (exit " + cli.exitValue() + ")");
        }
    }

    public URI uri() {
        return URI.create("redis://127.0.0.1:" + address.getPort());
    }

    @Override
    public void close() throws IOException {
        stop();
    }
}
