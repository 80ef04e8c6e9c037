package dev.ferryproxy.codec;

import static dev.ferryproxy.codec.CodecTestSupport.concat;
import static dev.ferryproxy.codec.CodecTestSupport.randomSplit;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.codec.CodecTestSupport.InputBuffers;
import dev.ferryproxy.codec.DecoderOracle.Expectation;
import dev.ferryproxy.codec.DecoderOracle.Kind;
import dev.ferryproxy.codec.DecoderOracle.Verdict;
import dev.ferryproxy.codec.SocksFrames.Generator;
import dev.ferryproxy.codec.SocksFrames.Sample;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * Seeded random tests: random valid frames under random splits, and random mutations of them.
 *
 * <p>The seed comes from {@code -Dferry.test.seed=N}, else it is random; it is printed to stdout
 * and in every failure message, so a failure reproduces with
 * {@code mvn test -pl proxy-core -Dtest=RandomizedDecoderTest -Dferry.test.seed=N}. Each test derives
 * its own {@link Random} from the seed and its name, so one test reproduces alone.
 */
class RandomizedDecoderTest {
    static final int VALID_FRAMES_PER_DECODER = 2000;
    static final int MUTATIONS_PER_DECODER = 2000;

    static long seed;

    @BeforeAll
    static void pickSeed() {
        String property = System.getProperty("ferry.test.seed");
        seed = property != null && !property.isBlank() ? Long.parseLong(property.trim()) : new Random().nextLong();
        System.out.println("RandomizedDecoderTest: -Dferry.test.seed=" + seed);
    }

    private static Random randomFor(String testName) {
        return new Random(seed ^ testName.hashCode() * 0x9E3779B97F4A7C15L);
    }

    /** Printed with every failure; built only then. */
    private static Object context(String test, int iteration) {
        return new Object() {
            @Override
            public String toString() {
                return "[reproduce with -Dferry.test.seed=" + seed + "; " + test + " #" + iteration + "]";
            }
        };
    }

    /**
     * Most inputs are unpooled buffers whose release is checked exactly (reference count 0 at the
     * end); every 8th goes through the PARANOID leak detector, which is slow (a stack trace per access).
     */
    private static InputBuffers buffersFor(int iteration) {
        return iteration % 8 == 0 ? InputBuffers.LEAK_TRACKED : InputBuffers.REF_COUNT_CHECKED;
    }

    private static final Map<Kind, Function<Generator, Sample>> GENERATORS = new EnumMap<>(Map.of(
            Kind.SOCKS4, Generator::socks4or4a,
            Kind.SOCKS5_GREETING, Generator::greeting,
            Kind.SOCKS5_PASSWORD, Generator::passwordAuth,
            Kind.SOCKS5_COMMAND, Generator::command));

    @ParameterizedTest
    @EnumSource(Kind.class)
    void randomValidFramesDecodeUnderRandomSplits(Kind kind) {
        String test = "randomValidFramesDecodeUnderRandomSplits[" + kind + "]";
        Generator generator = new Generator(randomFor(test));
        Random random = generator.random();
        long started = System.nanoTime();
        for (int i = 0; i < VALID_FRAMES_PER_DECODER; i++) {
            Object context = context(test, i);
            Sample sample = GENERATORS.get(kind).apply(generator);
            // sometimes what the client sent next (payload, or the next frame) follows in the same stream
            byte[] trailer = random.nextInt(3) == 0 ? generator.anyBytes(1 + random.nextInt(16)) : new byte[0];
            byte[] input = concat(sample.frame(), trailer);
            Expectation e = DecoderOracle.verify(kind, input, randomSplit(input, random), context, buffersFor(i));
            assertThat(e.verdict()).as("%s %s", context, sample).isEqualTo(Verdict.MESSAGE);
            assertThat(e.message()).as("%s the generator's own expectation", context).isEqualTo(sample.expected());
            assertThat(e.frameLength()).as("%s", context).isEqualTo(sample.frame().length);
        }
        System.out.printf("%s: %d frames in %d ms (seed %d)%n", test, VALID_FRAMES_PER_DECODER,
                (System.nanoTime() - started) / 1_000_000, seed);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void randomMutationsGiveOnlyAcceptableOutcomes(Kind kind) {
        String test = "randomMutationsGiveOnlyAcceptableOutcomes[" + kind + "]";
        Generator generator = new Generator(randomFor(test));
        Random random = generator.random();
        Map<Verdict, Integer> verdicts = new EnumMap<>(Verdict.class);
        long started = System.nanoTime();
        for (int i = 0; i < MUTATIONS_PER_DECODER; i++) {
            Object context = context(test, i);
            byte[] input = mutate(GENERATORS.get(kind).apply(generator).frame(), random);
            // DecoderOracle.verify: a message of the right type, nothing yet, or SocksProtocolException,
            // and exactly the reference model's outcome, whatever the split
            Expectation e = DecoderOracle.verify(kind, input, randomSplit(input, random), context, buffersFor(i));
            verdicts.merge(e.verdict(), 1, Integer::sum);
        }
        System.out.printf("%s: %s in %d ms (seed %d)%n", test, verdicts, (System.nanoTime() - started) / 1_000_000,
                seed);
        // the mutations must exercise all three outcomes, or this test proves little
        assertThat(verdicts.keySet()).as("outcomes seen with seed %d", seed).containsOnly(Verdict.values());
    }

    /** One to three byte flips, truncations, insertions, deletions, length/field pokes or duplications. */
    static byte[] mutate(byte[] frame, Random random) {
        byte[] b = frame;
        int rounds = 1 + random.nextInt(3);
        for (int r = 0; r < rounds; r++) {
            switch (random.nextInt(7)) {
                case 0: // flip bits of one byte
                    if (b.length > 0) {
                        b = b.clone();
                        b[random.nextInt(b.length)] ^= (byte) (1 + random.nextInt(255));
                    }
                    break;
                case 1: // truncate
                    b = Arrays.copyOf(b, random.nextInt(b.length + 1));
                    break;
                case 2: { // insert random bytes
                    int at = random.nextInt(b.length + 1);
                    byte[] inserted = new byte[1 + random.nextInt(4)];
                    random.nextBytes(inserted);
                    b = concat(Arrays.copyOf(b, at), inserted, Arrays.copyOfRange(b, at, b.length));
                    break;
                }
                case 3: { // delete a run
                    if (b.length > 0) {
                        int at = random.nextInt(b.length);
                        int end = Math.min(b.length, at + 1 + random.nextInt(4));
                        b = concat(Arrays.copyOf(b, at), Arrays.copyOfRange(b, end, b.length));
                    }
                    break;
                }
                case 4: // poke one of the header bytes (version, command, lengths, ATYP live there) with a boundary value
                    if (b.length > 0) {
                        b = b.clone();
                        int[] values = {0, 1, 2, 3, 4, 5, 0x7F, 0x80, 0xFE, 0xFF};
                        b[random.nextInt(Math.min(b.length, 6))] = (byte) values[random.nextInt(values.length)];
                    }
                    break;
                case 5: // set a byte to NUL (SOCKS4 terminators)
                    if (b.length > 0) {
                        b = b.clone();
                        b[random.nextInt(b.length)] = 0;
                    }
                    break;
                default: // append junk, or the frame again
                    b = random.nextBoolean() ? concat(b, b) : concat(b, new byte[] {(byte) random.nextInt(256)});
                    break;
            }
        }
        return b;
    }

    @Test
    void theSeedIsReportedAndReproducible() {
        Random a = randomFor("x");
        Random b = randomFor("x");
        assertThat(a.nextLong()).as("seed %d", seed).isEqualTo(b.nextLong());
        byte[] frame = new Generator(randomFor("y")).command().frame();
        assertThat(new Generator(randomFor("y")).command().frame()).isEqualTo(frame);
    }
}
