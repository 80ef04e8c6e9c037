package dev.ferryproxy.limits;

import dev.ferryproxy.accesslog.EndReason;
import dev.ferryproxy.accesslog.TunnelRecord;
import dev.ferryproxy.logging.EveryFewSeconds;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Applies the configured limits to tunnels: admits a tunnel when each of its subjects has a slot,
 * a connection token and quota left, here and (with a shared store) fleet-wide; shapes what
 * tunnels relay to their subjects' bandwidth; closes a subject's tunnels when its quota is spent.
 *
 * <p>Locally everything is lock-free counters shared by the event loops. With a {@link FleetStore},
 * a tunnel is admitted only with a lease the store gave: one of this server's spares (taken in the
 * store ahead, while the subject is far from its limits) at once, or else its own, asynchronously:
 * the client waits for its reply, the event loop does not. Every call to the store is made from
 * the limits thread ({@code ferry-limits}): the Redis client takes a lock to write, which an event
 * loop must not. Relayed bytes are charged to the store in batches, never one round trip per
 * read; the store's answer sets how long the subject's tunnels on this server pause. See
 * docs/limits.md for the guarantees.
 */
public final class Limiter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Limiter.class);
    /** A per-address subject with no tunnel for this long is forgotten (its quota use with it, locally). */
    private static final long IDLE_ADDRESS_NANOS = TimeUnit.MINUTES.toNanos(10);

    private volatile LimitsPolicy policy;
    private final ConcurrentHashMap<String, SubjectState> states = new ConcurrentHashMap<>();
    /** How often the limits thread looks whether charges or lease renewals are due. */
    private static final long TICK_MILLIS = 25;

    private final Function<ClusterSettings, FleetStore> stores;
    /** The shared store and its settings; both null for limits kept by this server alone. */
    private volatile ClusterSettings cluster;
    private volatile FleetStore store;
    private final LimitsThread limitsThread;
    /** Tunnels waiting for the store's answer that have not been sent to it yet. */
    private final Queue<WaitingAdmission> waitingAdmissions = new ConcurrentLinkedQueue<>();
    /** Set while a batch of admissions is on its way to the store and back. */
    private final AtomicBoolean admissionsInFlight = new AtomicBoolean();
    /** Tunnels closed whose leases the limits thread has not given back yet. */
    private final Queue<TunnelLimits> closedLeases = new ConcurrentLinkedQueue<>();
    /** Subjects that may hold spare leases, for the limits thread to give back those not wanted. */
    private final Set<SubjectState> withSpares = ConcurrentHashMap.newKeySet();
    /** Spare leases a subject keeps while far from its limits; the rest go back at the next tick. */
    static final int MOST_SPARES_KEPT = 2 * SubjectState.MOST_SPARES_PER_CALL;
    /** Spares no tunnel took for this long go back: a server that went quiet holds none. */
    private static final long SPARE_IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private boolean ticking;
    private long lastChargeNanos = System.nanoTime();
    private long lastRenewalNanos = System.nanoTime();
    /** Whether the store was connected at the last tick (limits thread only). */
    private boolean storeWasConnected;
    /** Names this server's leases in the store, so that no two servers' leases collide. */
    private final String serverId = Long.toHexString(ThreadLocalRandom.current().nextLong());
    private final AtomicLong leaseNumbers = new AtomicLong();
    private final Map<LimitRefusal, LongAdder> refused = new EnumMap<>(LimitRefusal.class);
    private final LongAdder quotaClosures = new LongAdder();
    private final LongAdder storeFailures = new LongAdder();
    private final LongAdder sparesTaken = new LongAdder();
    private final EveryFewSeconds refusalLog = new EveryFewSeconds(5, TimeUnit.SECONDS);
    private final EveryFewSeconds storeLog = new EveryFewSeconds(5, TimeUnit.SECONDS);

    /** A tunnel admitted here, waiting to be sent to the store, and where its answer goes. */
    private record WaitingAdmission(TunnelLimits tunnel, List<Subject> subjects, List<Quota.Window> windows,
            ClusterSettings settings, Promise<TunnelLimits> admitted) {
    }

    private Limiter(LimitsPolicy policy, ClusterSettings cluster, Function<ClusterSettings, FleetStore> stores) {
        this.policy = policy;
        this.cluster = cluster;
        for (LimitRefusal reason : LimitRefusal.values()) {
            refused.put(reason, new LongAdder());
        }
        this.limitsThread = new LimitsThread(() -> store);
        this.stores = stores;
        this.store = cluster == null ? null : stores.apply(cluster);
        if (cluster != null) {
            startTicking();
        }
        limitsThread.every(1, TimeUnit.MINUTES, this::forgetIdleAddresses);
    }

    /** The charges and renewals a shared store needs; without one the limits thread sleeps. */
    private synchronized void startTicking() {
        if (!ticking) {
            ticking = true;
            limitsThread.every(TICK_MILLIS, TimeUnit.MILLISECONDS, this::tick);
        }
    }

    /** On the limits thread: the charges and lease renewals that are due. */
    private void tick() {
        ClusterSettings settings = cluster;
        if (settings == null || store == null) {
            return;
        }
        giveLeasesBack();
        long now = System.nanoTime();
        boolean connectedNow = store.connected();
        if (connectedNow && !storeWasConnected) {
            // a store just reached (a reload added it, or it came back empty) learns the open
            // tunnels' leases now rather than at the next renewal, up to a third of a TTL away
            lastRenewalNanos = now;
            renewLeases();
        }
        storeWasConnected = connectedNow;
        if (now - lastChargeNanos >= settings.chargeInterval().toNanos()) {
            lastChargeNanos = now;
            chargeAll();
        }
        if (now - lastRenewalNanos >= settings.leaseTtl().toNanos() / 3) {
            lastRenewalNanos = now;
            renewLeases();
        }
        // after a failed reservation, the subject's held tunnels wait for this retry
        for (SubjectState state : states.values()) {
            if (!state.open.isEmpty()) {
                reserveIfLow(state, settings);
            }
        }
    }

    /**
     * Switches to the store {@code next} names (a reload), or to none. The open tunnels' leases are
     * taken in the new store at its first renewal; the old store's expire with their TTL.
     */
    public void updateCluster(ClusterSettings next) {
        if (java.util.Objects.equals(next, cluster)) {
            return;
        }
        FleetStore previous = store;
        this.store = next == null ? null : stores.apply(next);
        this.cluster = next;
        if (next != null) {
            startTicking();
        }
        // The new store learns the open tunnels' leases at the first tick that finds it connected;
        // spares held in the old one are forgotten there (they expire with their TTL).
        limitsThread.submit(() -> {
            storeWasConnected = false;
            states.values().forEach(SubjectState::dropSpares);
            withSpares.clear();
        });
        if (previous != null) {
            limitsThread.submit(previous::close);
        }
    }

    /** Limits kept by this server alone. */
    public static Limiter local(LimitsPolicy policy) {
        return new Limiter(policy, null, settings -> null);
    }

    /** Limits shared through the store that {@code stores} makes from {@code cluster} (null: local only). */
    public static Limiter create(LimitsPolicy policy, ClusterSettings cluster, Function<ClusterSettings, FleetStore> stores) {
        return new Limiter(policy, cluster, stores);
    }

    /** The limits in force. */
    public LimitsPolicy policy() {
        return policy;
    }

    /** Whether a shared store is configured. */
    public boolean shared() {
        return store != null;
    }

    /** Whether the shared store is connected (false without one). */
    public boolean storeConnected() {
        return store != null && store.connected();
    }

    /**
     * Puts {@code next} in force (a reload). Tunnels already open keep flowing: a lowered tunnel
     * or rate limit refuses only new ones; a changed bandwidth applies to their next reads.
     */
    public void update(LimitsPolicy next) {
        this.policy = next;
        for (SubjectState state : states.values()) {
            Limit limit = limitOf(next, state.key, state.user);
            state.limit = limit != null ? limit : Limit.NONE;
        }
    }

    /** The limit {@code policy} gives the subject with {@code key}, or null when none does any more. */
    private static Limit limitOf(LimitsPolicy policy, String key, String user) {
        if (user != null) {
            return policy.users().getOrDefault(user, policy.userDefault());
        }
        for (NetworkLimit network : policy.networks()) {
            String cidr = network.network().toString();
            if (key.equals("net:" + cidr) && !network.perAddress()) {
                return network.limit();
            }
            if (key.startsWith("addr:") && network.perAddress()) {
                InetAddress address = io.netty.util.NetUtil.createInetAddressFromIpAddressString(key.substring(5));
                if (address != null && network.network().contains(address)) {
                    return network.limit();
                }
            }
        }
        return null;
    }

    /**
     * Admits a tunnel of {@code client} (its connection {@code channel}): completes, on the
     * channel's event loop, with the tunnel's limits, or fails with a {@link LimitExceededException}.
     * The slot is given back when {@code channel} closes.
     *
     * @param loggedInUser the user who logged in with a password, null for none (a SOCKS4 USERID is not a login)
     */
    public Future<TunnelLimits> admit(String loggedInUser, InetAddress client, Channel channel) {
        List<Subject> subjects = policy.subjectsFor(loggedInUser, client);
        if (subjects.isEmpty()) {
            return channel.eventLoop().newSucceededFuture(TunnelLimits.NONE);
        }
        long now = System.nanoTime();
        List<SubjectState> taken = new ArrayList<>(subjects.size());
        for (Subject subject : subjects) {
            SubjectState state = states.computeIfAbsent(subject.key(), key -> new SubjectState(subject));
            LimitRefusal refusal = state.admit(now, store != null);
            if (refusal != null) {
                taken.forEach(SubjectState::release);
                return refuse(channel, subject, refusal);
            }
            taken.add(state);
        }
        TunnelLimits tunnel = new TunnelLimits(this, List.copyOf(taken), serverId + ":" + leaseNumbers.incrementAndGet(),
                channel);
        FleetStore fleet = store;
        ClusterSettings settings = cluster;
        // before the tunnel is among the open ones, whose leases a renewal reads
        boolean fromSpares = fleet != null && settings != null && admitWithSpares(tunnel, fleet, now);
        if (fromSpares) {
            sparesTaken.increment();
            topUpIfLow(taken, now, channel);
        }
        taken.forEach(state -> state.open.add(tunnel));
        channel.closeFuture().addListener(closed -> tunnel.release());
        if (fleet != null && settings != null) {
            // Reserve quota now, so that the tunnel's first reads need not wait for it.
            taken.forEach(state -> reserveIfLow(state, settings));
        }
        if (fromSpares || fleet == null || settings == null
                || subjects.stream().noneMatch(subject -> subject.limit().limitsAdmission())) {
            return channel.eventLoop().newSucceededFuture(tunnel);
        }
        Promise<TunnelLimits> admitted = channel.eventLoop().newPromise();
        List<Quota.Window> windows = new ArrayList<>(taken.size());
        taken.forEach(state -> windows.add(state.window()));
        waitingAdmissions.add(new WaitingAdmission(tunnel, subjects, windows, settings, admitted));
        // Lettuce takes a lock to write a command: never from an event loop, so from the limits thread
        limitsThread.submit(this::sendAdmissions, channel.eventLoop());
        return admitted;
    }

    /**
     * Admits {@code tunnel} with spare leases and tokens this server already holds in {@code fleet}
     * for each of its subjects that bounds admission, all or none: no call to the store.
     */
    private static boolean admitWithSpares(TunnelLimits tunnel, FleetStore fleet, long now) {
        List<SubjectState> subjects = tunnel.subjects();
        String[] taken = new String[subjects.size()];
        boolean any = false;
        for (int i = 0; i < subjects.size(); i++) {
            SubjectState state = subjects.get(i);
            if (!state.limit.limitsAdmission()) {
                continue;
            }
            String lease = state.takeSpare(now);
            if (lease == null) {
                for (int j = 0; j < i; j++) {
                    if (taken[j] != null) {
                        subjects.get(j).putBackSpare(taken[j]);
                    }
                }
                return false;
            }
            taken[i] = lease;
            any = true;
        }
        if (any) {
            String[] held = new String[taken.length];
            for (int i = 0; i < taken.length; i++) {
                held[i] = SubjectState.NO_LEASE.equals(taken[i]) ? null : taken[i];
            }
            tunnel.leasesHeldIn(held, fleet);
        }
        return any;
    }

    /**
     * Asks the store for the next spares of each of {@code states} that is running low, before a
     * tunnel finds none and has to wait.
     */
    private void topUpIfLow(List<SubjectState> states, long now, Channel channel) {
        for (SubjectState state : states) {
            if (state.limit.limitsAdmission() && state.sparesLow(now)) {
                int wanted = state.sparesToAsk();
                if (wanted > 0) {
                    limitsThread.submit(() -> topUp(state, wanted), channel.eventLoop());
                }
            }
        }
    }

    /**
     * On the limits thread: takes {@code wanted} spares of one subject, with a lease and token of
     * their own that become spares too (a tunnel yet to come).
     */
    private void topUp(SubjectState state, int wanted) {
        FleetStore fleet = store;
        if (fleet == null) {
            state.askingForSpares.set(false);
            return;
        }
        String lease = serverId + ":" + leaseNumbers.incrementAndGet();
        Subject subject = new Subject(state.key, state.user, state.limit);
        CompletableFuture<FleetStore.Admission> answer = call(() -> fleet.takeSpares(lease, List.of(subject),
                Collections.singletonList(state.window()), List.of(wanted)));
        answer.whenComplete((admission, failure) -> {
            boolean taken = failure == null && admission.admitted() && admission.sparesOf(0) > 0;
            state.sparesGranted(lease, taken ? admission.sparesOf(0) : 0, taken, System.nanoTime());
            if (taken) {
                withSpares.add(state);
            } else if (failure != null) {
                storeFailed("taking spare leases", failure);
            }
        });
    }

    /**
     * On the limits thread: sends the tunnels waiting for the store's answer, together, unless the
     * previous batch is still on its way; its answer sends the next. Under load the batches grow
     * to what arrives in one round trip, and the store's work per tunnel shrinks with them; alone, a
     * tunnel goes at once.
     */
    private void sendAdmissions() {
        if (waitingAdmissions.isEmpty() || !admissionsInFlight.compareAndSet(false, true)) {
            return;
        }
        FleetStore fleet = store;
        List<CompletableFuture<FleetStore.Admission>> answers = new ArrayList<>();
        WaitingAdmission waiting;
        while ((waiting = waitingAdmissions.poll()) != null) {
            if (waiting.tunnel().isReleased()) {
                // its client left before the answer: no lease to take (and none to give back)
                waiting.admitted().cancel(false);
                continue;
            }
            answers.add(ask(fleet, waiting));
        }
        CompletableFuture.allOf(answers.toArray(new CompletableFuture<?>[0])).whenComplete((done, failure) -> {
            admissionsInFlight.set(false);
            if (!waitingAdmissions.isEmpty()) {
                limitsThread.submit(this::sendAdmissions);
            }
        });
    }

    /**
     * Makes a call to the store; one that throws instead of answering is answered as a failed call
     * (a batch that never completes would hold every later tunnel).
     */
    private static <T> CompletableFuture<T> call(Supplier<CompletionStage<T>> store) {
        try {
            return store.get().toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Asks {@code fleet} to admit one tunnel and settles its promise with the answer. */
    private CompletableFuture<FleetStore.Admission> ask(FleetStore fleet, WaitingAdmission waiting) {
        TunnelLimits tunnel = waiting.tunnel();
        List<Subject> subjects = waiting.subjects();
        ClusterSettings settings = waiting.settings();
        Promise<TunnelLimits> admitted = waiting.admitted();
        if (fleet == null) {
            // a reload took the store away meanwhile: this server's own limits admitted it
            admitted.trySuccess(tunnel);
            return CompletableFuture.completedFuture(FleetStore.Admission.ADMITTED);
        }
        List<SubjectState> states = tunnel.subjects();
        List<Integer> spares = new ArrayList<>(states.size());
        boolean askingForSpares = false;
        for (SubjectState state : states) {
            int wanted = state.sparesToAsk();
            spares.add(wanted);
            askingForSpares |= wanted > 0;
        }
        List<Integer> asked = askingForSpares ? spares : List.of();
        CompletableFuture<FleetStore.Admission> answer = call(() -> fleet.acquire(tunnel.lease(), subjects,
                waiting.windows(), asked));
        return answer.whenComplete((admission, failure) -> {
            for (int i = 0; i < states.size(); i++) {
                if (spares.get(i) > 0) {
                    SubjectState state = states.get(i);
                    state.sparesGranted(tunnel.lease(), admission == null ? 0 : admission.sparesOf(i), System.nanoTime());
                    if (admission != null && admission.sparesOf(i) > 0) {
                        withSpares.add(state);
                    }
                }
            }
            if (failure != null) {
                storeFailed("taking a tunnel lease", failure);
                if (settings.onFailure() == StoreFailureMode.CLOSED) {
                    tunnel.release();
                    countRefusal(subjects.get(0), LimitRefusal.STORE);
                    admitted.tryFailure(new LimitExceededException(LimitRefusal.STORE, subjects.get(0).describe()));
                } else {
                    admitted.trySuccess(tunnel);
                }
            } else if (!admission.admitted()) {
                tunnel.release();
                Subject refusing = subjects.get(Math.max(0, admission.subject()));
                countRefusal(refusing, admission.reason());
                admitted.tryFailure(new LimitExceededException(admission.reason(), refusing.describe()));
            } else {
                // the script took the tunnel's lease in each subject that bounded tunnels as sent
                String[] held = new String[subjects.size()];
                for (int i = 0; i < held.length; i++) {
                    held[i] = subjects.get(i).limit().tunnels() > 0 ? tunnel.lease() : null;
                }
                tunnel.leasesHeldIn(held, fleet);
                admitted.trySuccess(tunnel);
            }
        });
    }

    private Future<TunnelLimits> refuse(Channel channel, Subject subject, LimitRefusal reason) {
        countRefusal(subject, reason);
        return channel.eventLoop().newFailedFuture(new LimitExceededException(reason, subject.describe()));
    }

    private void countRefusal(Subject subject, LimitRefusal reason) {
        refused.get(reason).increment();
        long heldBack = refusalLog.admit();
        if (heldBack >= 0) {
            log.info("tunnel refused: {} reached its {} limit{}", subject.describe(), reason.tag(),
                    heldBack > 0 ? " (" + heldBack + " more refusals since the last line)" : "");
        }
    }

    /** Charges one subject for a read; see {@link TunnelLimits#charge}. */
    long charge(SubjectState subject, Direction direction, int bytes, long nowNanos) {
        ClusterSettings settings = cluster;
        long wait = subject.charge(direction, bytes, nowNanos, settings != null);
        if (subject.takeQuotaSpent()) {
            closeTunnelsOf(subject);
        }
        if (settings != null) {
            if (chargeDue(subject, settings) && subject.charging.compareAndSet(false, true)) {
                limitsThread.submit(() -> chargeNow(List.of(subject)));
            }
            reserveIfLow(subject, settings);
        }
        return wait;
    }

    /** See {@link TunnelLimits#stillHeld}. */
    long stillHeld(SubjectState subject, Direction direction, long nowNanos) {
        return subject.stillHeld(direction, nowNanos, cluster != null);
    }

    /**
     * Whether a subject's uncharged bytes should go to the store before the next interval: past
     * {@code chargeBatch}, or one interval's worth of its bandwidth when that is more (a fast limit
     * would otherwise be charged thousands of times a second, each call holding nothing back).
     */
    private static boolean chargeDue(SubjectState subject, ClusterSettings settings) {
        Limit limit = subject.limit;
        return subject.pendingUp.get() >= earlyChargeBytes(limit.uploadBytesPerSecond(), settings)
                || subject.pendingDown.get() >= earlyChargeBytes(limit.downloadBytesPerSecond(), settings);
    }

    static long earlyChargeBytes(long bytesPerSecond, ClusterSettings settings) {
        double perInterval = bytesPerSecond * (settings.chargeInterval().toNanos() / 1e9);
        return Math.max(settings.chargeBatchBytes(), (long) Math.min(Long.MAX_VALUE, perInterval));
    }

    private static long pendingOf(SubjectState subject) {
        return Math.max(subject.pendingUp.get(), subject.pendingDown.get());
    }

    /** Asks the store for more of the subject's quota when less than half a reservation is left. */
    private void reserveIfLow(SubjectState subject, ClusterSettings settings) {
        if (subject.wantsReservation(settings.chargeBatchBytes()) && subject.reserving.compareAndSet(false, true)) {
            limitsThread.submit(() -> reserve(subject, settings));
        }
    }

    /** On the limits thread: reserves one batch of the subject's quota for this server. */
    private void reserve(SubjectState subject, ClusterSettings settings) {
        FleetStore fleet = store;
        Quota.Window window = subject.window();
        if (fleet == null || window == null) {
            subject.reserving.set(false);
            return;
        }
        long bytes = subject.nextReservation(settings.chargeBatchBytes(), System.nanoTime());
        fleet.reserve(new Subject(subject.key, subject.user, subject.limit), window, bytes)
                .whenComplete((reservation, failure) -> {
                    if (failure != null) {
                        storeFailed("reserving quota", failure);
                        if (settings.onFailure() == StoreFailureMode.OPEN) {
                            // this server's own quota count still applies meanwhile
                            subject.reservedLocally(bytes);
                        }
                    } else {
                        subject.reserved(window.id(), reservation.granted(), reservation.total());
                    }
                    subject.reserving.set(false);
                    if (subject.takeQuotaSpent()) {
                        closeTunnelsOf(subject);
                    }
                });
    }

    /** Closes every relaying tunnel of a subject whose quota is spent, each with "quota" in its access-log line. */
    private void closeTunnelsOf(SubjectState subject) {
        log.info("{} spent its quota ({} B this period here, {} B reserved fleet-wide): closing its tunnels",
                describe(subject), subject.quotaUsed(), subject.fleetQuotaUsed);
        subject.open.forEach(TunnelLimits::closeForQuota);
    }

    /** Closes one tunnel for its spent quota; see {@link TunnelLimits#closeForQuota}. */
    void closeForQuota(TunnelLimits tunnel) {
        quotaClosures.increment();
        Channel client = tunnel.client();
        // What was relayed before the quota ran out still reaches the client: flushed, then closed.
        // On the channel's event loop, which the access-log record is confined to; at once when
        // already there (the read that spent the quota), so the rest of its read batch is not relayed.
        Runnable close = () -> {
            TunnelRecord.of(client).closing(EndReason.QUOTA);
            client.config().setAutoRead(false);
            client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        };
        if (client.eventLoop().inEventLoop()) {
            close.run();
        } else {
            client.eventLoop().execute(close);
        }
    }

    private static String describe(SubjectState subject) {
        return new Subject(subject.key, subject.user, subject.limit).describe();
    }

    /** Gives a tunnel's slots back, here and in the store. */
    void release(TunnelLimits tunnel) {
        for (SubjectState state : tunnel.subjects()) {
            state.open.remove(tunnel);
            state.release();
        }
        FleetStore fleet = store;
        if (fleet == null || tunnel.subjects().stream().noneMatch(state -> state.limit.tunnels() > 0)) {
            return;
        }
        if (holdsEveryLease(tunnel, fleet)) {
            // its leases become spares, for the next tunnels here (or given back at the next tick)
            for (SubjectState state : tunnel.subjects()) {
                if (state.limit.tunnels() > 0) {
                    state.addSpareLease(tunnel.heldLeaseIn(state));
                    withSpares.add(state);
                }
            }
            return;
        }
        // given back at the limits thread's next tick (within 25 ms), with every other lease of
        // tunnels closed meanwhile: no wake-up and no command per tunnel
        closedLeases.add(tunnel);
    }

    /**
     * Whether {@code fleet} said it holds a lease of {@code tunnel} in each subject that bounds
     * tunnels now: only then may they be reused (a reload may have added a bound since).
     */
    private static boolean holdsEveryLease(TunnelLimits tunnel, FleetStore fleet) {
        if (tunnel.heldIn() != fleet) {
            return false;
        }
        for (SubjectState state : tunnel.subjects()) {
            if (state.limit.tunnels() > 0 && tunnel.heldLeaseIn(state) == null) {
                return false;
            }
        }
        return true;
    }

    /**
     * On the limits thread: gives back the leases of every tunnel closed since the last time, in
     * one command per subject (ZREM with all its leases), before any acquire asked for later.
     */
    private void giveLeasesBack() {
        Map<String, List<String>> leases = new HashMap<>();
        TunnelLimits closed;
        while ((closed = closedLeases.poll()) != null) {
            for (SubjectState state : closed.subjects()) {
                if (state.limit.tunnels() > 0) {
                    leases.computeIfAbsent(state.key, key -> new ArrayList<>()).add(closed.leaseIn(state));
                }
            }
        }
        giveSparesBack(leases);
        FleetStore fleet = store;
        if (fleet != null && !leases.isEmpty()) {
            fleet.release(leases);
        }
    }

    /**
     * On the limits thread: adds to {@code leases} the spares not wanted: all of a subject's once
     * the store granted it none at the last asking (it is near a limit fleet-wide) or when no
     * tunnel took one for a second, and those above {@link #MOST_SPARES_KEPT} otherwise.
     */
    private void giveSparesBack(Map<String, List<String>> leases) {
        long now = System.nanoTime();
        for (SubjectState state : withSpares) {
            boolean wanted = state.roomy && state.limit.tunnels() > 0 && now - state.lastSpareUse < SPARE_IDLE_NANOS;
            int excess = state.spareLeaseCount() - (wanted ? MOST_SPARES_KEPT : 0);
            String lease;
            for (int i = 0; i < excess && (lease = state.pollSpareToGiveBack()) != null; i++) {
                leases.computeIfAbsent(state.key, key -> new ArrayList<>()).add(lease);
            }
            if (!state.hasSpareLeases()) {
                withSpares.remove(state);
                if (state.hasSpareLeases()) {
                    // a tunnel closed meanwhile and left one
                    withSpares.add(state);
                }
            }
        }
    }

    /** On the limits thread: renews the leases of every open tunnel whose subject bounds tunnels, and the spares. */
    private void renewLeases() {
        Map<String, Set<String>> leases = new HashMap<>();
        for (SubjectState state : states.values()) {
            if (state.limit.tunnels() > 0 && (!state.open.isEmpty() || state.hasSpareLeases())) {
                Set<String> names = ConcurrentHashMap.newKeySet();
                state.open.forEach(tunnel -> names.add(tunnel.leaseIn(state)));
                names.addAll(state.spareLeaseNames());
                leases.put(state.key, names);
            }
        }
        FleetStore fleet = store;
        if (!leases.isEmpty() && fleet != null) {
            fleet.renew(leases).whenComplete((done, failure) -> {
                if (failure != null) {
                    storeFailed("renewing tunnel leases", failure);
                }
            });
        }
    }

    /** On the limits thread: charges every subject with bytes not yet charged. */
    private void chargeAll() {
        List<SubjectState> due = new ArrayList<>();
        for (SubjectState state : states.values()) {
            if (pendingOf(state) > 0 && state.charging.compareAndSet(false, true)) {
                due.add(state);
            }
        }
        if (!due.isEmpty()) {
            chargeNow(due);
        }
    }

    /** Sends the charges of {@code due} (each marked charging) and applies the store's answer. */
    private void chargeNow(List<SubjectState> due) {
        FleetStore fleet = store;
        if (fleet == null) {
            due.forEach(state -> state.charging.set(false));
            return;
        }
        List<FleetStore.Charge> charges = new ArrayList<>(due.size());
        for (SubjectState state : due) {
            charges.add(new FleetStore.Charge(new Subject(state.key, state.user, state.limit),
                    state.pendingUp.getAndSet(0), state.pendingDown.getAndSet(0)));
        }
        fleet.charge(charges).whenComplete((results, failure) -> {
            for (int i = 0; i < due.size(); i++) {
                SubjectState state = due.get(i);
                FleetStore.Charge charge = charges.get(i);
                if (failure != null) {
                    // Charged next time: the bytes were relayed all the same.
                    state.pendingUp.addAndGet(charge.up());
                    state.pendingDown.addAndGet(charge.down());
                } else {
                    FleetStore.ChargeResult result = results.get(i);
                    long now = System.nanoTime();
                    state.fleetUpHoldUntil = now + TimeUnit.MILLISECONDS.toNanos(result.upWaitMillis());
                    state.fleetDownHoldUntil = now + TimeUnit.MILLISECONDS.toNanos(result.downWaitMillis());
                }
                state.charging.set(false);
            }
            if (failure != null) {
                storeFailed("charging relayed bytes", failure);
            }
        });
    }

    private void forgetIdleAddresses() {
        long now = System.nanoTime();
        states.values().removeIf(state -> state.key.startsWith("addr:") && state.tunnels.get() == 0
                && state.open.isEmpty() && !state.hasSpareLeases() && now - state.lastActivity > IDLE_ADDRESS_NANOS);
    }

    private void storeFailed(String doing, Throwable failure) {
        storeFailures.increment();
        long heldBack = storeLog.admit();
        ClusterSettings settings = cluster;
        if (heldBack >= 0 && settings != null) {
            log.warn("limits store {} failed {}: {}; limits fail {}{}", settings.redis(), doing, failure.toString(),
                    settings.onFailure() == StoreFailureMode.OPEN ? "open (this server's own limits only)"
                            : "closed (tunnels under a fleet-wide limit refused)",
                    heldBack > 0 ? " (" + heldBack + " more failures since the last line)" : "");
        }
    }

    /** Tunnels admitted with spares, without a call to the store, so far. */
    public long admittedWithSpares() {
        return sparesTaken.sum();
    }

    /** Tunnels refused for {@code reason} so far. */
    public long refused(LimitRefusal reason) {
        return refused.get(reason).sum();
    }

    /** Tunnels closed because their subject spent its quota. */
    public long quotaClosures() {
        return quotaClosures.sum();
    }

    /** Calls to the shared store that failed or timed out. */
    public long storeFailures() {
        return storeFailures.sum();
    }

    /** Tunnels waiting to be sent to the store (the batch before them is still on its way). */
    public int admissionsWaiting() {
        return waitingAdmissions.size();
    }

    /** Whether a batch of tunnels is on its way to the store and back. */
    public boolean admissionsInFlight() {
        return admissionsInFlight.get();
    }

    /** Tunnels a user holds on this server now (0 when the user has no limit). */
    public int tunnelsOfUser(String user) {
        SubjectState state = states.get("user:" + user);
        return state == null ? 0 : state.tunnels.get();
    }

    /** Quota bytes a user used in this period, fleet-wide as last charged (or here, when more). */
    public long quotaUsedByUser(String user) {
        SubjectState state = states.get("user:" + user);
        return state == null ? 0 : Math.max(state.quotaUsed(), state.fleetQuotaUsed);
    }

    /** Stops the limits thread and closes the store (leases not given back expire with their TTL). */
    @Override
    public void close() {
        limitsThread.close();
        FleetStore fleet = store;
        if (fleet != null) {
            fleet.close();
        }
    }
}
