package dev.ferryproxy.codec;

import static dev.ferryproxy.codec.CodecTestSupport.concat;
import static dev.ferryproxy.codec.CodecTestSupport.hex;
import static dev.ferryproxy.codec.CodecTestSupport.latin1;
import static dev.ferryproxy.codec.CodecTestSupport.range;
import static dev.ferryproxy.codec.CodecTestSupport.readableBytesOf;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ferryproxy.codec.DecoderOracle.Expectation;
import dev.ferryproxy.codec.DecoderOracle.Kind;
import dev.ferryproxy.codec.DecoderOracle.Verdict;
import dev.ferryproxy.codec.v5.Socks5UdpDatagram;
import dev.ferryproxy.codec.v5.Socks5UdpDatagramCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Fuzz tests for the four stream decoders and the UDP header codec.
 *
 * <p>A plain {@code mvn test} replays the seeds under
 * {@code src/test/resources/dev/ferryproxy/codec/SocksDecoderFuzzTestInputs/<method>/} (and an
 * empty input). To fuzz, one method per run, for at most its {@code maxDuration}:
 * {@code JAZZER_FUZZ=1 mvn test -pl proxy-core -Dtest='SocksDecoderFuzzTest#socks4ServerDecoder'}.
 * Jazzer then keeps its corpus in {@code .cifuzz-corpus/} and writes a crashing input next to the
 * seeds (as {@code crash-<sha1>}), where plain runs replay it from then on.
 *
 * <p>Stream decoder input format: byte 0 says how to split, the rest is the byte stream. If bit 7 of
 * byte 0 is set the stream is written one byte per write; otherwise its low 3 bits are a count k of
 * cut positions, taken from bytes 1..k (each modulo the stream length), and the stream starts after
 * them. Every outcome must be one of: the right message, nothing yet, or a
 * {@link SocksProtocolException}, and exactly the one {@link DecoderOracle}'s model predicts; no
 * buffer may leak. The UDP input is the packet itself
 * (decoded behind {@code length % 4} bytes already read).
 */
class SocksDecoderFuzzTest {
    static final String SEED_ROOT = "/dev/ferryproxy/codec/SocksDecoderFuzzTestInputs/";

    @FuzzTest(maxDuration = "20s")
    void socks4ServerDecoder(FuzzedDataProvider data) {
        fuzzStream(Kind.SOCKS4, data.consumeRemainingAsBytes());
    }

    @FuzzTest(maxDuration = "20s")
    void socks5InitialRequestDecoder(FuzzedDataProvider data) {
        fuzzStream(Kind.SOCKS5_GREETING, data.consumeRemainingAsBytes());
    }

    @FuzzTest(maxDuration = "20s")
    void socks5PasswordAuthRequestDecoder(FuzzedDataProvider data) {
        fuzzStream(Kind.SOCKS5_PASSWORD, data.consumeRemainingAsBytes());
    }

    @FuzzTest(maxDuration = "20s")
    void socks5CommandRequestDecoder(FuzzedDataProvider data) {
        fuzzStream(Kind.SOCKS5_COMMAND, data.consumeRemainingAsBytes());
    }

    @FuzzTest(maxDuration = "20s")
    void socks5UdpDatagramCodec(FuzzedDataProvider data) {
        byte[] packet = data.consumeRemainingAsBytes();
        fuzzUdp(packet, packet.length % 4);
    }

    // ---- the targets ---------------------------------------------------------------------------

    /** Splits a stream input as the class comment describes. */
    record StreamInput(byte[] stream, List<byte[]> chunks) {
        static StreamInput parse(byte[] raw) {
            if (raw.length == 0) {
                return new StreamInput(new byte[0], List.of());
            }
            int control = raw[0] & 0xFF;
            if ((control & 0x80) != 0) {
                byte[] stream = range(raw, 1, raw.length);
                return new StreamInput(stream, CodecTestSupport.oneBytePerChunk(stream));
            }
            int k = Math.min(control & 0x07, raw.length - 1);
            byte[] stream = range(raw, 1 + k, raw.length);
            if (stream.length == 0) {
                return new StreamInput(stream, List.of());
            }
            int[] cuts = new int[k];
            for (int i = 0; i < k; i++) {
                cuts[i] = stream.length < 2 ? 0 : 1 + (raw[1 + i] & 0xFF) % (stream.length - 1);
            }
            Arrays.sort(cuts);
            return new StreamInput(stream, CodecTestSupport.splitAt(stream, cuts));
        }
    }

    static Expectation fuzzStream(Kind kind, byte[] raw) {
        StreamInput input = StreamInput.parse(raw);
        return DecoderOracle.verify(kind, input.stream(), input.chunks(), "fuzz input " + hex(raw));
    }

    /** The UDP model: a datagram arrives whole, so short means malformed. */
    static SocksAddress expectUdpAddress(byte[] p) {
        if (p.length < 4) {
            return null;
        }
        int atyp = p[3] & 0xFF;
        int header;
        if (atyp == 1) {
            header = 4 + 4 + 2;
        } else if (atyp == 4) {
            header = 4 + 16 + 2;
        } else if (atyp == 3 && p.length >= 5 && p[4] != 0) {
            header = 4 + 1 + (p[4] & 0xFF) + 2;
        } else {
            return null;
        }
        if (p.length < header) {
            return null;
        }
        int port = (p[header - 2] & 0xFF) << 8 | (p[header - 1] & 0xFF);
        return atyp == 1 ? SocksAddress.ipv4(range(p, 4, 8), port)
                : atyp == 4 ? SocksAddress.ipv6(range(p, 4, 20), port)
                : SocksAddress.domain(latin1(range(p, 5, 5 + (p[4] & 0xFF))), port);
    }

    static boolean fuzzUdp(byte[] packet, int skip) {
        SocksAddress expected = expectUdpAddress(packet);
        // behind `skip` bytes already read, to check decoding starts at the reader index
        ByteBuf buf = CodecTestSupport.buffer(concat(new byte[skip], packet));
        buf.skipBytes(skip);
        try {
            Socks5UdpDatagram datagram;
            try {
                datagram = Socks5UdpDatagramCodec.decode(buf);
            } catch (SocksProtocolException e) {
                assertThat(expected).as("rejected %s: %s", hex(packet), e.getMessage()).isNull();
                assertThat(buf.refCnt()).isEqualTo(1);
                return false;
            }
            try {
                assertThat(expected).as("decoded %s", hex(packet)).isNotNull();
                assertThat(datagram.address()).isEqualTo(expected);
                assertThat(datagram.frag()).isEqualTo(packet[2] & 0xFF);
                int header = Socks5UdpDatagramCodec.headerLength(expected);
                assertThat(readableBytesOf(datagram.content())).isEqualTo(range(packet, header, packet.length));
                assertThat(buf.readerIndex()).as("packet not moved").isEqualTo(skip);
                // re-encoding gives the packet back, but for RSV which is not checked on input
                datagram.retain(); // encode takes over one reference
                ByteBuf again = Socks5UdpDatagramCodec.encode(ByteBufAllocator.DEFAULT, datagram);
                try {
                    byte[] encoded = readableBytesOf(again);
                    assertThat(range(encoded, 0, 2)).isEqualTo(new byte[2]);
                    assertThat(range(encoded, 2, encoded.length)).isEqualTo(range(packet, 2, packet.length));
                } finally {
                    again.release();
                }
            } finally {
                datagram.release();
            }
            assertThat(buf.refCnt()).as("the data slice's reference is returned").isEqualTo(1);
            return true;
        } finally {
            buf.release();
        }
    }

    // ---- the seeds are real frames -------------------------------------------------------------

    static final Map<Kind, String> STREAM_METHODS = new EnumMap<>(Map.of(
            Kind.SOCKS4, "socks4ServerDecoder",
            Kind.SOCKS5_GREETING, "socks5InitialRequestDecoder",
            Kind.SOCKS5_PASSWORD, "socks5PasswordAuthRequestDecoder",
            Kind.SOCKS5_COMMAND, "socks5CommandRequestDecoder"));

    static final List<String> SEED_NAMES = List.of("valid-whole", "valid-split", "valid-bytewise", "valid-pipelined",
            "valid-max", "malformed");

    static byte[] seed(String method, String name) {
        try (InputStream in = SocksDecoderFuzzTest.class.getResourceAsStream(SEED_ROOT + method + "/" + name)) {
            assertThat(in).as("seed %s/%s on the test classpath", method, name).isNotNull();
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Guards the seed corpus: the replayed seeds must reach the decoders' success and failure paths. */
    @Test
    void streamSeedsDecodeAsNamed() {
        for (Map.Entry<Kind, String> entry : STREAM_METHODS.entrySet()) {
            List<Verdict> verdicts = new ArrayList<>();
            for (String name : SEED_NAMES) {
                Expectation e = fuzzStream(entry.getKey(), seed(entry.getValue(), name));
                verdicts.add(e.verdict());
                assertThat(e.verdict()).as("%s/%s", entry.getValue(), name)
                        .isEqualTo(name.startsWith("valid") ? Verdict.MESSAGE : Verdict.REJECTED);
            }
            StreamInput split = StreamInput.parse(seed(entry.getValue(), "valid-split"));
            assertThat(split.chunks()).as("valid-split is split").hasSizeGreaterThan(1);
            StreamInput bytewise = StreamInput.parse(seed(entry.getValue(), "valid-bytewise"));
            assertThat(bytewise.chunks()).hasSize(bytewise.stream().length);
        }
    }

    @Test
    void udpSeedsDecodeAsNamed() {
        for (String name : List.of("ipv4", "ipv6", "domain", "domain-255")) {
            byte[] packet = seed("socks5UdpDatagramCodec", name);
            assertThat(fuzzUdp(packet, packet.length % 4)).as(name).isTrue();
        }
        for (String name : List.of("truncated-ipv6", "unknown-atyp")) {
            byte[] packet = seed("socks5UdpDatagramCodec", name);
            assertThat(fuzzUdp(packet, packet.length % 4)).as(name).isFalse();
        }
    }
}
