package dev.ferryproxy.limits;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManagerFactory;

/**
 * The fleet's limits in Redis, through Lettuce (a Netty client: its I/O threads (2, Lettuce's
 * least) run event loops, nothing blocks). Each step is one Lua script, so it is atomic without locks and takes one
 * round trip: taking a lease checks and updates every subject at once ({@code acquire.lua}, one
 * run for the tunnels the limits thread asked for together),
 * a batch of bandwidth charges is one call ({@code charge.lua}), a quota reservation another
 * ({@code reserve.lua}). Redis' own clock ({@code TIME}) times the
 * leases and buckets, so the servers' clocks need not agree.
 *
 * <p>Keys, under the configured prefix: {@code tunnels:SUBJECT} (sorted set of leases by expiry),
 * {@code rate:SUBJECT}, {@code up:SUBJECT}, {@code down:SUBJECT} (bucket times), and
 * {@code quota:SUBJECT:PERIOD} (a counter that expires an hour after its period).
 *
 * <p>The connection is made in the background and Lettuce reconnects by itself after a loss; until
 * then every call fails at once (no queueing), and the limiter applies its failure mode.
 *
 * <p>A {@code rediss://} store is verified: its certificate must chain to a trusted CA (those of
 * {@link ClusterSettings#caFile()}, else the JDK's) and name the host of the address.
 */
public final class RedisFleetStore implements FleetStore {
    private static final Logger log = LoggerFactory.getLogger(RedisFleetStore.class);
    private static final LuaScript ACQUIRE = LuaScript.load("acquire.lua");
    private static final LuaScript CHARGE = LuaScript.load("charge.lua");
    private static final LuaScript RENEW = LuaScript.load("renew.lua");
    private static final LuaScript RESERVE = LuaScript.load("reserve.lua");
    private static final long RETRY_MILLIS = 1000;
    /** Tunnels admitted in one script run at most: a longer run would hold up Redis' other clients. */
    private static final int MOST_ACQUIRES_PER_CALL = 64;
    /**
     * How long making a connection may take: TCP, the TLS handshake and Redis' HELLO/AUTH. Longer
     * than one call's timeout, since a handshake on a busy machine can take more than 250 ms.
     */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    /**
     * Lettuce's buffers from the allocator Ferry's own channels use (and its metrics show): Netty's
     * default, the adaptive allocator, can park an I/O thread on a lock while it grows under
     * contention, as several stores connecting at once showed.
     */
    private static final NettyCustomizer POOLED_BUFFERS = new NettyCustomizer() {
        @Override
        public void afterBootstrapInitialized(Bootstrap bootstrap) {
            bootstrap.option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT);
        }
    };

    private final ClusterSettings settings;
    private final ClientResources resources;
    private final RedisClient client;
    private final RedisURI uri;
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile boolean closed;
    /** Acquires not sent yet; the limits thread's alone, like every call. */
    private final List<PendingAcquire> pendingAcquires = new ArrayList<>();

    /** A tunnel's acquire held for the next batch, and where its answer goes. */
    private record PendingAcquire(String lease, List<Subject> subjects, List<Quota.Window> windows,
            List<Integer> spares, boolean sparesOnly, CompletableFuture<Admission> answer) {
    }

    public RedisFleetStore(ClusterSettings settings) {
        this.settings = settings;
        // before any thread starts: a CA file that cannot be read fails here, leaving nothing to close
        TrustManagerFactory trust = settings.caFile() == null ? null : trustManagers(settings.caFile());
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2)
                // back within 5 s of the store's return (Lettuce's default backs off to 30 s)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(5), 2, TimeUnit.MILLISECONDS))
                .nettyCustomizer(POOLED_BUFFERS)
                .build();
        // Lettuce times a connection's set-up (connect, TLS, HELLO) by the URI's timeout; each call
        // has its own, settings.timeout(), through the TimeoutOptions below.
        RedisURI.Builder builder = RedisURI.builder(RedisURI.create(settings.redis())).withTimeout(CONNECT_TIMEOUT);
        if ("rediss".equals(settings.redis().getScheme())) {
            builder.withVerifyPeer(SslVerifyMode.FULL); // the CA chain and the host name (Lettuce's default too)
        }
        if (settings.password() != null) {
            builder.withPassword(settings.password());
        }
        this.uri = builder.build();
        this.client = RedisClient.create(resources);
        ClientOptions.Builder options = ClientOptions.builder()
                .autoReconnect(true)
                // fail at once while disconnected: a queued call would hold a client past its reply
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(CONNECT_TIMEOUT).build())
                .timeoutOptions(TimeoutOptions.enabled(settings.timeout()));
        if (trust != null) {
            options.sslOptions(SslOptions.builder().jdkSslProvider().trustManager(trust).build());
        }
        client.setOptions(options.build());
        connect();
    }

    private void connect() {
        if (closed) {
            return;
        }
        client.connectAsync(StringCodec.UTF8, uri).whenComplete((made, failure) -> {
            if (failure == null) {
                if (closed) {
                    made.closeAsync();
                    return;
                }
                // Commands wait in Lettuce's buffer until flush(): the limits thread sends what
                // one drain of its queue asked for in one write, not one write (and wake-up) each.
                made.setAutoFlushCommands(false);
                connection = made;
                log.info("limits store {} connected", settings.redis());
                return;
            }
            log.debug("limits store {} not reachable, trying again in {} ms: {}{}", settings.redis(), RETRY_MILLIS,
                    failure.toString(), rootCauseOf(failure));
            if (!closed) {
                resources.eventExecutorGroup().schedule(this::connect, RETRY_MILLIS, TimeUnit.MILLISECONDS);
            }
        });
    }

    /** The CAs of {@code caFile}, read once: each connection's TLS engine is made from these. */
    private static TrustManagerFactory trustManagers(Path caFile) {
        try {
            return CaCertificates.trustManagers(caFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a failed connect says at its bottom (a refused port, an untrusted certificate), for the log. */
    private static String rootCauseOf(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == failure ? "" : " (root cause: " + root + ")";
    }

    @Override
    public boolean connected() {
        StatefulRedisConnection<String, String> current = connection;
        return current != null && current.isOpen();
    }

    private RedisAsyncCommands<String, String> commands() {
        StatefulRedisConnection<String, String> current = connection;
        if (current == null) {
            throw new IllegalStateException("not connected to " + settings.redis() + " yet");
        }
        return current.async();
    }

    private String key(String kind, String subjectKey) {
        return settings.keyPrefix() + kind + ":" + subjectKey;
    }

    @Override
    public CompletionStage<Admission> acquire(String lease, List<Subject> subjects, List<Quota.Window> windows,
            List<Integer> spares) {
        return queueAcquire(lease, subjects, windows, spares, false);
    }

    @Override
    public CompletionStage<Admission> takeSpares(String lease, List<Subject> subjects, List<Quota.Window> windows,
            List<Integer> spares) {
        return queueAcquire(lease, subjects, windows, spares, true);
    }

    private CompletionStage<Admission> queueAcquire(String lease, List<Subject> subjects, List<Quota.Window> windows,
            List<Integer> spares, boolean sparesOnly) {
        if (connection == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("not connected to " + settings.redis() + " yet"));
        }
        PendingAcquire pending = new PendingAcquire(lease, subjects, windows, spares, sparesOnly, new CompletableFuture<>());
        pendingAcquires.add(pending);
        if (pendingAcquires.size() >= MOST_ACQUIRES_PER_CALL) {
            sendAcquires();
        }
        return pending.answer();
    }

    /**
     * Sends the acquires held since the last call, as one run of {@code acquire.lua}. Every other
     * call sends them first, so that Redis sees the calls in the order they were made (a lease given
     * back after it was taken, never before).
     */
    private void sendAcquires() {
        if (pendingAcquires.isEmpty()) {
            return;
        }
        List<PendingAcquire> batch = List.copyOf(pendingAcquires);
        pendingAcquires.clear();
        List<String> keys = new ArrayList<>();
        List<String> args = new ArrayList<>(2 + batch.size() * 7);
        args.add(Long.toString(settings.leaseTtl().toMillis()));
        args.add(Integer.toString(batch.size()));
        for (PendingAcquire pending : batch) {
            args.add(pending.lease());
            // negative: spares only (acquire.lua)
            args.add(Integer.toString(pending.sparesOnly() ? -pending.subjects().size() : pending.subjects().size()));
            for (int i = 0; i < pending.subjects().size(); i++) {
                Subject subject = pending.subjects().get(i);
                Limit limit = subject.limit();
                Quota.Window window = pending.windows().get(i);
                keys.add(key("tunnels", subject.key()));
                keys.add(key("rate", subject.key()));
                keys.add(quotaKey(subject, window));
                args.add(Integer.toString(limit.tunnels()));
                args.add(Double.toString(limit.connectionsPerSecond()));
                args.add(Integer.toString(limit.connectionBurst()));
                args.add(Long.toString(limit.quota() == null || window == null ? 0 : limit.quota().bytes()));
                args.add(Integer.toString(pending.spares().isEmpty() ? 0 : pending.spares().get(i)));
            }
        }
        this.<List<Object>>eval(ACQUIRE, keys.toArray(new String[0]), args).whenComplete((answers, failure) -> {
            for (int i = 0; i < batch.size(); i++) {
                CompletableFuture<Admission> answer = batch.get(i).answer();
                if (failure != null) {
                    answer.completeExceptionally(failure);
                    continue;
                }
                try {
                    answer.complete(admission((String) answers.get(i)));
                } catch (RuntimeException e) {
                    // an answer this version cannot read fails its own tunnel, not the rest of the batch
                    answer.completeExceptionally(new IllegalStateException(
                            "acquire.lua answered '" + answers.get(i) + "' for tunnel " + i, e));
                }
            }
        });
    }

    /**
     * One tunnel's answer from {@code acquire.lua}: "ok" (with the spares granted per subject when
     * any was asked for), or the refusing subject's index and why.
     */
    static Admission admission(String answer) {
        if (answer.equals("ok")) {
            return Admission.ADMITTED;
        }
        if (answer.startsWith("ok ")) {
            String[] counts = answer.substring(3).split(" ");
            List<Integer> spares = new ArrayList<>(counts.length);
            boolean any = false;
            for (String count : counts) {
                int granted = Integer.parseInt(count);
                any |= granted > 0;
                spares.add(granted);
            }
            return any ? new Admission(true, -1, null, List.copyOf(spares)) : Admission.ADMITTED;
        }
        int space = answer.indexOf(' ');
        int index = Integer.parseInt(answer.substring(0, space)) - 1;
        return new Admission(false, index, LimitRefusal.valueOf(answer.substring(space + 1).toUpperCase(Locale.ROOT)));
    }

    private String quotaKey(Subject subject, Quota.Window window) {
        return key("quota", subject.key()) + ":" + (window == null ? "none" : window.id());
    }

    @Override
    public void release(Map<String, List<String>> leasesBySubject) {
        sendAcquires();
        try {
            RedisAsyncCommands<String, String> commands = commands();
            for (Map.Entry<String, List<String>> subject : leasesBySubject.entrySet()) {
                commands.zrem(key("tunnels", subject.getKey()), subject.getValue().toArray(new String[0]));
            }
        } catch (RuntimeException e) {
            // Not connected: the leases expire with their TTL.
            log.debug("leases {} not given back: {}", leasesBySubject, e.toString());
        }
    }

    @Override
    public CompletionStage<Void> renew(Map<String, Set<String>> leasesBySubject) {
        sendAcquires();
        List<CompletableFuture<Object>> renewals = new ArrayList<>();
        for (Map.Entry<String, Set<String>> entry : leasesBySubject.entrySet()) {
            List<String> args = new ArrayList<>(entry.getValue().size() + 1);
            args.add(Long.toString(settings.leaseTtl().toMillis()));
            args.addAll(entry.getValue());
            renewals.add(this.<Object>evalInteger(RENEW, new String[] {key("tunnels", entry.getKey())}, args)
                    .toCompletableFuture());
        }
        return CompletableFuture.allOf(renewals.toArray(new CompletableFuture<?>[0]));
    }

    @Override
    public CompletionStage<List<ChargeResult>> charge(List<Charge> charges) {
        sendAcquires();
        String[] keys = new String[charges.size() * 2];
        List<String> args = new ArrayList<>(1 + charges.size() * 4);
        args.add(Integer.toString(charges.size()));
        for (int i = 0; i < charges.size(); i++) {
            Charge charge = charges.get(i);
            Limit limit = charge.subject().limit();
            keys[i * 2] = key("up", charge.subject().key());
            keys[i * 2 + 1] = key("down", charge.subject().key());
            args.add(Long.toString(charge.up()));
            args.add(Long.toString(limit.uploadBytesPerSecond()));
            args.add(Long.toString(charge.down()));
            args.add(Long.toString(limit.downloadBytesPerSecond()));
        }
        return this.<List<Object>>eval(CHARGE, keys, args).thenApply(answer -> {
            List<ChargeResult> results = new ArrayList<>(charges.size());
            for (int i = 0; i < charges.size(); i++) {
                results.add(new ChargeResult((Long) answer.get(i * 2), (Long) answer.get(i * 2 + 1)));
            }
            return results;
        });
    }

    @Override
    public CompletionStage<Reservation> reserve(Subject subject, Quota.Window window, long bytes) {
        sendAcquires();
        List<String> args = List.of(Long.toString(bytes), Long.toString(subject.limit().quota().bytes()),
                Long.toString(window.end().getEpochSecond()));
        return this.<List<Object>>eval(RESERVE, new String[] {quotaKey(subject, window)}, args)
                .thenApply(answer -> new Reservation((Long) answer.get(0), (Long) answer.get(1)));
    }

    private <T> CompletionStage<T> eval(LuaScript script, String[] keys, List<String> args) {
        return run(script, ScriptOutputType.MULTI, keys, args.toArray(new String[0]));
    }

    private <T> CompletionStage<T> evalInteger(LuaScript script, String[] keys, List<String> args) {
        return run(script, ScriptOutputType.INTEGER, keys, args.toArray(new String[0]));
    }

    /**
     * Runs a script by its digest (EVALSHA: a few bytes on the wire, not the script's text); a
     * Redis that does not hold it (new, restarted, flushed) answers NOSCRIPT, and then the script
     * itself is sent (EVAL), which also loads it for the next calls.
     */
    private <T> CompletionStage<T> run(LuaScript script, ScriptOutputType type, String[] keys, String[] args) {
        RedisAsyncCommands<String, String> commands;
        try {
            commands = commands();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletionStage<T> byDigest = commands.<T>evalsha(script.digest(), type, keys, args);
        return byDigest.handle((answer, failure) -> {
            if (failure == null) {
                return CompletableFuture.completedFuture(answer);
            }
            if (!(unwrap(failure) instanceof RedisNoScriptException)) {
                return CompletableFuture.<T>failedFuture(failure);
            }
            // on Lettuce's I/O thread: sent at once, not left for the limits thread's next flush
            CompletionStage<T> byText = commands.<T>eval(script.text(), type, keys, args);
            flushCommands();
            return byText;
        }).thenCompose(stage -> stage);
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
    }

    @Override
    public void flush() {
        sendAcquires();
        flushCommands();
    }

    /** Writes Lettuce's held commands (from any thread: no acquires are sent from here). */
    private void flushCommands() {
        StatefulRedisConnection<String, String> current = connection;
        if (current != null) {
            current.flushCommands();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // acquires of tunnels asked for just before a reload replaced this store: refused or
        // admitted by the failure mode, not left waiting
        for (PendingAcquire pending : List.copyOf(pendingAcquires)) {
            pending.answer().completeExceptionally(new IllegalStateException("limits store " + settings.redis() + " closed"));
        }
        pendingAcquires.clear();
        StatefulRedisConnection<String, String> current = connection;
        if (current != null) {
            current.closeAsync();
        }
        client.shutdown(0, 2, TimeUnit.SECONDS);
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

}
