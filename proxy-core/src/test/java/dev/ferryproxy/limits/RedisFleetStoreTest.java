package dev.ferryproxy.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferryproxy.limits.FleetStore.Admission;
import dev.ferryproxy.testing.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The Redis store against a real redis-server: tunnels asked for together are admitted by one
 * script run, in the order they were asked, all or none per tunnel, and a lease given back after
 * it was asked for is given back after it was taken. Called from the test's thread, as the limits
 * thread would: calls, then {@link FleetStore#flush()}.
 */
class RedisFleetStoreTest {
    private static final Limit THREE_TUNNELS = new Limit(3, 0, 0, 0, 0, null);
    private static RedisServer redis;
    private RedisFleetStore store;
    private String prefix;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start(null);
    }

    @AfterAll
    static void stopRedis() throws Exception {
        redis.close();
    }

    @BeforeEach
    void connect() throws Exception {
        prefix = "test" + System.nanoTime() + ":";
        store = new RedisFleetStore(ClusterSettings.of(redis.uri()).withKeyPrefix(prefix));
        await().atMost(Duration.ofSeconds(10)).until(store::connected);
        // the script loaded (a first EVALSHA answers NOSCRIPT, then EVAL), and the counts zeroed after
        answer(store.acquire("warm-up", List.of(Subject.user("warm-up", THREE_TUNNELS)), nullWindows(1)));
        redis.resetStatistics();
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void tunnelsAskedForTogetherAreAdmittedInOrderByOneScriptRun() throws Exception {
        Subject alice = Subject.user("alice", THREE_TUNNELS);
        List<CompletableFuture<Admission>> answers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            answers.add(store.acquire("lease-" + i, List.of(alice), nullWindows(1)).toCompletableFuture());
        }
        store.flush();

        for (int i = 0; i < 3; i++) {
            assertThat(answer(answers.get(i))).as("tunnel %s", i).isEqualTo(Admission.ADMITTED);
        }
        for (int i = 3; i < 5; i++) {
            assertThat(answer(answers.get(i))).as("tunnel %s", i)
                    .isEqualTo(new Admission(false, 0, LimitRefusal.TUNNELS));
        }
        assertThat(redis.commandCalls("evalsha")).as("script runs").isEqualTo(1);
        assertThat(redis.integerReply("ZCARD", leasesOf(alice))).as("leases held").isEqualTo(3);
    }

    @Test
    void aTunnelRefusedByItsSecondSubjectTakesNothingFromItsFirst() throws Exception {
        Subject bob = Subject.user("bob", THREE_TUNNELS);
        Subject network = Subject.network("192.0.2.0/24", new Limit(1, 0, 0, 0, 0, null));
        CompletableFuture<Admission> first = store.acquire("first", List.of(bob, network), nullWindows(2))
                .toCompletableFuture();
        CompletableFuture<Admission> second = store.acquire("second", List.of(bob, network), nullWindows(2))
                .toCompletableFuture();
        store.flush();

        assertThat(answer(first)).isEqualTo(Admission.ADMITTED);
        assertThat(answer(second)).isEqualTo(new Admission(false, 1, LimitRefusal.TUNNELS));
        assertThat(redis.integerReply("ZCARD", leasesOf(bob))).as("bob's leases: the first tunnel's")
                .isEqualTo(1);
    }

    @Test
    void aLeaseGivenBackInTheSameBatchAsItsAcquireIsGoneAfterIt() throws Exception {
        Subject carol = Subject.user("carol", THREE_TUNNELS);
        CompletableFuture<Admission> taken = store.acquire("short-lived", List.of(carol), nullWindows(1))
                .toCompletableFuture();
        // the tunnel closed before its answer came: its release follows its acquire to Redis
        store.release(Map.of(carol.key(), List.of("short-lived")));
        store.flush();

        assertThat(answer(taken)).isEqualTo(Admission.ADMITTED);
        await().atMost(Duration.ofSeconds(5))
                .until(() -> redis.integerReply("ZCARD", leasesOf(carol)) == 0);
    }

    @Test
    void aLongBatchIsSplitIntoRunsOfAtMost64Tunnels() throws Exception {
        Subject dave = Subject.user("dave", new Limit(1000, 0, 0, 0, 0, null));
        List<CompletableFuture<Admission>> answers = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            answers.add(store.acquire("lease-" + i, List.of(dave), nullWindows(1)).toCompletableFuture());
        }
        store.flush();

        for (CompletableFuture<Admission> answer : answers) {
            assertThat(answer(answer)).isEqualTo(Admission.ADMITTED);
        }
        assertThat(redis.commandCalls("evalsha")).as("script runs").isEqualTo(2);
        assertThat(redis.integerReply("ZCARD", leasesOf(dave))).isEqualTo(70);
    }

    @Test
    void anAcquireAskedForBeforeItsStoreClosedFailsRatherThanWaits() {
        CompletableFuture<Admission> pending = store.acquire("late", List.of(Subject.user("erin", THREE_TUNNELS)),
                nullWindows(1)).toCompletableFuture();
        store.close();

        assertThat(pending).failsWithin(Duration.ofSeconds(5));
    }

    @Test
    void sparesAreGrantedOnlyWhileTheFleetStaysWithinHalfTheLimit() throws Exception {
        Subject frank = Subject.user("frank", new Limit(40, 0, 0, 0, 0, null));
        assertThat(answer(store.acquire("a", List.of(frank), nullWindows(1), List.of(16))))
                .as("1 lease held, 19 more up to half of 40").isEqualTo(new Admission(true, -1, null, List.of(16)));
        assertThat(answer(store.acquire("b", List.of(frank), nullWindows(1), List.of(16))))
                .as("18 held, 2 more to half").isEqualTo(new Admission(true, -1, null, List.of(2)));
        assertThat(answer(store.acquire("c", List.of(frank), nullWindows(1), List.of(16))))
                .as("past half: the tunnel, no spares").isEqualTo(Admission.ADMITTED);
        assertThat(redis.integerReply("ZCARD", leasesOf(frank))).as("each spare is a lease").isEqualTo(21);
        assertThat(redis.integerReply("ZRANK", leasesOf(frank), "a.16")).as("named after the tunnel's").isNotNegative();
    }

    @Test
    void aTopUpTakesItsOwnLeaseOnlyWithSpares() throws Exception {
        Subject ivan = Subject.user("ivan", new Limit(40, 0, 0, 0, 0, null));
        assertThat(answer(store.takeSpares("up-1", List.of(ivan), nullWindows(1), List.of(10))))
                .isEqualTo(new Admission(true, -1, null, List.of(10)));
        assertThat(redis.integerReply("ZCARD", leasesOf(ivan))).as("its lease and 10 spares").isEqualTo(11);
        assertThat(answer(store.acquire("tunnel", List.of(ivan), nullWindows(1), List.of(10))))
                .isEqualTo(new Admission(true, -1, null, List.of(8)));
        assertThat(answer(store.takeSpares("up-2", List.of(ivan), nullWindows(1), List.of(10))))
                .as("at half of 40: no spares").isEqualTo(Admission.ADMITTED);
        assertThat(redis.integerReply("ZCARD", leasesOf(ivan))).as("nor the top-up's own lease").isEqualTo(20);
    }

    @Test
    void noSparesOnceHalfTheQuotaIsReserved() throws Exception {
        Quota quota = new Quota(1000, Quota.Period.DAY, java.time.LocalTime.MIDNIGHT);
        Subject heidi = Subject.user("heidi", new Limit(1000, 0, 0, 0, 0, quota));
        List<Quota.Window> window = List.of(quota.windowAt(java.time.Instant.now()));
        assertThat(answer(store.acquire("a", List.of(heidi), window, List.of(16))))
                .isEqualTo(new Admission(true, -1, null, List.of(16)));
        CompletableFuture<FleetStore.Reservation> reserved = store.reserve(heidi, window.get(0), 600).toCompletableFuture();
        store.flush();
        assertThat(reserved.get(10, TimeUnit.SECONDS).granted()).isEqualTo(600);
        assertThat(answer(store.acquire("b", List.of(heidi), window, List.of(16))))
                .as("past half the quota: each tunnel checked again").isEqualTo(Admission.ADMITTED);
    }

    @Test
    void spareTokensLeaveHalfTheBurstInTheBucket() throws Exception {
        // 1 a second (the test's calls take far less), a burst of 10: a tunnel's token and 4 spares leave 5
        Subject grace = Subject.user("grace", new Limit(0, 1, 10, 0, 0, null));
        assertThat(answer(store.acquire("a", List.of(grace), nullWindows(1), List.of(16))))
                .isEqualTo(new Admission(true, -1, null, List.of(4)));
        for (int i = 0; i < 5; i++) {
            assertThat(answer(store.acquire("more-" + i, List.of(grace), nullWindows(1))))
                    .as("tunnel %s of the burst's rest", i).isEqualTo(Admission.ADMITTED);
        }
        assertThat(answer(store.acquire("over", List.of(grace), nullWindows(1))))
                .as("the spares' tokens were taken from the bucket").isEqualTo(new Admission(false, 0, LimitRefusal.RATE));
    }

    /** The subject's sorted set of leases, as docs/limits.md names it. */
    private String leasesOf(Subject subject) {
        return prefix + "tunnels:" + subject.key();
    }

    private static List<Quota.Window> nullWindows(int count) {
        return Arrays.asList(new Quota.Window[count]);
    }

    private Admission answer(java.util.concurrent.CompletionStage<Admission> answer) throws Exception {
        store.flush();
        return answer.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
