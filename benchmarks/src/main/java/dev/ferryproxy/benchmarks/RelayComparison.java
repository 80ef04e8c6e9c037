package dev.ferryproxy.benchmarks;

import dev.ferryproxy.relay.RelayMode;
import dev.ferryproxy.server.ProxyServer;
import dev.ferryproxy.server.ProxyServerConfig;
import dev.ferryproxy.transport.TransportKind;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Interleaved A/B throughput on loopback: direct, and through Ferry with each relay (and tuning),
 * measured in turn, round after round, in one JVM. On a shared machine whose load changes by the
 * second, a ratio taken within one round (path / direct) is steadier than separate runs; the
 * medians over the rounds are reported.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.ferryproxy.benchmarks.RelayComparison \
 *     up 1 15 500 direct buffer splice buffer:rcv256k</pre>
 *
 * Arguments: direction ({@code up}: the client writes, {@code down}: it reads), streams per path,
 * rounds, milliseconds per measurement, then the paths ({@code direct}, or a relay with an
 * optional {@code :tuning} from {@link Tuning}).
 */
public final class RelayComparison {
    private static final int WARMUP_ROUNDS = 3;
    private static final int MIB = 1024 * 1024;

    private RelayComparison() {
    }

    public static void main(String[] args) throws Exception {
        boolean up = args[0].equals("up");
        int streams = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        long millis = Long.parseLong(args[3]);
        List<String> paths = Arrays.asList(args).subList(4, args.length);
        try (DiscardServer discard = new DiscardServer(); SourceServer source = new SourceServer()) {
            InetSocketAddress target = up ? discard.address() : source.address();
            Map<String, List<SocketChannel>> connections = new LinkedHashMap<>();
            List<ProxyServer> servers = new ArrayList<>();
            for (String path : paths) {
                connections.put(path, open(path, streams, target, servers));
            }
            ExecutorService pool = Executors.newFixedThreadPool(streams);
            Map<String, List<Double>> rates = new LinkedHashMap<>();
            Map<String, List<Double>> ratios = new LinkedHashMap<>();
            List<String> order = new ArrayList<>(paths);
            for (int round = 0; round < WARMUP_ROUNDS + rounds; round++) {
                Collections.shuffle(order);
                Map<String, Double> thisRound = new LinkedHashMap<>();
                for (String path : order) {
                    thisRound.put(path, measure(pool, connections.get(path), up, millis));
                }
                if (round < WARMUP_ROUNDS) {
                    continue;
                }
                for (String path : paths) {
                    rates.computeIfAbsent(path, p -> new ArrayList<>()).add(thisRound.get(path));
                    if (thisRound.containsKey("direct")) {
                        ratios.computeIfAbsent(path, p -> new ArrayList<>()).add(thisRound.get(path) / thisRound.get("direct"));
                    }
                }
            }
            pool.shutdownNow();
            System.out.printf(Locale.ROOT, "direction %s, %d stream(s), %d rounds of %d ms, load %s%n", args[0], streams,
                    rounds, millis, new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/loadavg"))).trim());
            for (String path : paths) {
                System.out.printf(Locale.ROOT, "%-20s median %8.1f MiB/s  (min %8.1f, max %8.1f)  ratio to direct: median %.3f%n",
                        path, median(rates.get(path)), Collections.min(rates.get(path)), Collections.max(rates.get(path)),
                        ratios.containsKey(path) ? median(ratios.get(path)) : Double.NaN);
            }
            for (List<SocketChannel> channels : connections.values()) {
                for (SocketChannel channel : channels) {
                    channel.close();
                }
            }
            for (ProxyServer server : servers) {
                server.close();
            }
        }
    }

    private static List<SocketChannel> open(String path, int streams, InetSocketAddress target, List<ProxyServer> servers)
            throws IOException {
        ProxyServer proxy = null;
        if (!path.equals("direct")) {
            String[] relayAndTuning = path.split(":");
            ProxyServerConfig.Builder config = ProxyServerConfig.builder()
                    .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                    .transport(TransportKind.EPOLL)
                    .relay(RelayMode.valueOf(relayAndTuning[0].toUpperCase(Locale.ROOT)));
            proxy = ProxyServer.start(Tuning.apply(relayAndTuning.length > 1 ? relayAndTuning[1] : "default", config).build());
            servers.add(proxy);
        }
        List<SocketChannel> channels = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            if (proxy == null) {
                channels.add(SocketChannel.open(target));
            } else {
                SocketChannel channel = SocketChannel.open(proxy.address());
                Socks5Handshake.connect(channel, target);
                channels.add(channel);
            }
        }
        return channels;
    }

    /** MiB/s moved over all of {@code channels} at once for {@code millis}. */
    private static double measure(ExecutorService pool, List<SocketChannel> channels, boolean up, long millis)
            throws Exception {
        long start = System.nanoTime();
        long deadline = start + millis * 1_000_000;
        List<Future<Long>> moved = new ArrayList<>();
        for (SocketChannel channel : channels) {
            moved.add(pool.submit(() -> move(channel, up, deadline)));
        }
        long bytes = 0;
        for (Future<Long> f : moved) {
            bytes += f.get();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return bytes / seconds / (1024 * 1024);
    }

    /** Moves 1 MiB at a time (down: asked for, then read) until the deadline has passed. */
    private static long move(SocketChannel channel, boolean up, long deadline) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(MIB);
        long total = 0;
        while (System.nanoTime() < deadline) {
            buffer.clear();
            if (!up) {
                SourceServer.request(channel, MIB);
            }
            while (buffer.hasRemaining()) {
                int n = up ? channel.write(buffer) : channel.read(buffer);
                if (n < 0) {
                    throw new EOFException("the stream ended");
                }
            }
            total += MIB;
        }
        return total;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
