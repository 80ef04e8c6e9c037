package dev.ferryproxy.codec;

import static dev.ferryproxy.codec.CodecTestSupport.bytes;
import static dev.ferryproxy.codec.CodecTestSupport.concat;
import static dev.ferryproxy.codec.CodecTestSupport.describeChunks;
import static dev.ferryproxy.codec.CodecTestSupport.filled;
import static dev.ferryproxy.codec.CodecTestSupport.hex;
import static dev.ferryproxy.codec.CodecTestSupport.latin1;
import static dev.ferryproxy.codec.CodecTestSupport.oneBytePerChunk;
import static dev.ferryproxy.codec.CodecTestSupport.randomSplit;
import static dev.ferryproxy.codec.CodecTestSupport.range;
import static dev.ferryproxy.codec.CodecTestSupport.whole;
import static dev.ferryproxy.codec.SocksFrames.commandDomain;
import static dev.ferryproxy.codec.SocksFrames.commandIpv4;
import static dev.ferryproxy.codec.SocksFrames.commandIpv6;
import static dev.ferryproxy.codec.SocksFrames.greeting;
import static dev.ferryproxy.codec.SocksFrames.passwordAuth;
import static dev.ferryproxy.codec.SocksFrames.socks4;
import static dev.ferryproxy.codec.SocksFrames.socks4a;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.codec.CodecTestSupport.DecodeOutcome;
import dev.ferryproxy.codec.CodecTestSupport.InputBuffers;
import dev.ferryproxy.codec.DecoderOracle.Expectation;
import dev.ferryproxy.codec.DecoderOracle.Kind;
import dev.ferryproxy.codec.DecoderOracle.Verdict;
import dev.ferryproxy.codec.SocksFrames.Generator;
import dev.ferryproxy.codec.v4.Socks4CommandRequest;
import dev.ferryproxy.codec.v5.Socks5AuthMethod;
import dev.ferryproxy.codec.v5.Socks5CommandRequest;
import dev.ferryproxy.codec.v5.Socks5InitialRequest;
import dev.ferryproxy.codec.v5.Socks5PasswordAuthRequest;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.util.NetUtil;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.IDN;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Differential tests: Ferry's decoders against netty-codec-socks (an independent implementation)
 * on the same byte streams, valid, split and mutated.
 *
 * <p>Both outcomes are normalised (message fields, IP addresses as bytes, leftover bytes) and must
 * agree, except for the differences listed in {@link Difference}. Each difference is recognised by
 * a precise trigger and then asserted to be exactly that difference: Netty's outcome must be the one
 * the difference predicts (and where the difference is a single field, Netty's outcome on the input
 * with that field repaired must match and the repaired input is compared again). Anything else
 * fails as an unexplained difference. The fixed corpus must show every listed difference, so the
 * list cannot go stale.
 */
class NettySocksDifferentialTest {
    /** Where netty-codec-socks 4.2.18.Final and Ferry rightly or knowingly differ. */
    enum Difference {
        /** Netty fires a placeholder message whose DecoderResult is a failure; Ferry throws SocksProtocolException with the reply. */
        NETTY_SIGNALS_REJECTION_WITH_PLACEHOLDER_MESSAGE,
        /** Netty fires the bytes after the frame at once; Ferry holds them until it is removed from the pipeline. */
        NETTY_FORWARDS_LEFTOVER_WHILE_IN_PIPELINE,
        /**
         * Netty's SOCKS4 decoder (single-decode) leaves the bytes after the failing byte in its
         * cumulation and forwards them when removed; Ferry discards all input after a fault.
         */
        NETTY_SOCKS4_FORWARDS_BYTES_AFTER_REJECTION,
        /** SOCKS4 CD other than 1/2: Netty decodes it (an UNKNOWN type), Ferry rejects with 91. */
        SOCKS4_UNKNOWN_COMMAND_NETTY_ACCEPTS,
        /** SOCKS4 DSTPORT 0: Netty rejects (its request wants 1..65535), Ferry decodes the full 0..65535. */
        SOCKS4_PORT_ZERO_NETTY_REJECTS,
        /** SOCKS4a empty host name: Netty decodes "" as the address, Ferry rejects with 91. */
        SOCKS4A_EMPTY_HOST_NETTY_ACCEPTS,
        /**
         * SOCKS4a host: Netty passes it through IDN.toASCII, which turns non-ASCII into punycode
         * (and maps some chars), and refuses labels over 63 chars, empty labels and prohibited chars;
         * Ferry keeps the bytes exactly (ISO-8859-1) and leaves judging names to the resolver.
         */
        SOCKS4A_HOST_NETTY_APPLIES_IDN,
        /**
         * A SOCKS4a host that IDN.toASCII refuses makes Netty's own failure path throw again (its
         * placeholder request runs IDN.toASCII too): an exception, not a placeholder message, and
         * since the decoder never reaches its FAILURE state, the same exception again on every later read.
         */
        SOCKS4A_IDN_REFUSAL_ESCAPES_NETTY_AS_EXCEPTION,
        /**
         * An incomplete SOCKS4 frame: Netty's replaying decoder has consumed the part before its last
         * checkpoint (the 8-byte header, or header and USERID), so when it is removed it forwards only
         * the rest; Ferry consumes nothing until the frame is complete and forwards the partial frame whole.
         */
        NETTY_SOCKS4_DROPS_CHECKPOINTED_BYTES_OF_AN_INCOMPLETE_FRAME,
        /** RFC 1929 ULEN 0 or PLEN 0: Netty decodes an empty field, Ferry answers STATUS 1 (RFC 1929 says 1..255). */
        PASSWORD_EMPTY_FIELD_NETTY_ACCEPTS,
        /** SOCKS5 domain of length 0: Netty decodes "" as the address, Ferry answers 0x01. */
        DOMAIN_LENGTH_ZERO_NETTY_ACCEPTS,
        /** SOCKS5 domain: Netty passes it through IDN.toASCII (punycode, refusals as above, result over 255 chars refused). */
        DOMAIN_NETTY_APPLIES_IDN,
    }

    /** The differences the fixed corpus shows, per decoder: exactly these. */
    static final Map<Kind, Set<Difference>> EXPECTED = new EnumMap<>(Map.of(
            Kind.SOCKS4, EnumSet.of(Difference.NETTY_SIGNALS_REJECTION_WITH_PLACEHOLDER_MESSAGE,
                    Difference.NETTY_FORWARDS_LEFTOVER_WHILE_IN_PIPELINE,
                    Difference.NETTY_SOCKS4_FORWARDS_BYTES_AFTER_REJECTION,
                    Difference.SOCKS4_UNKNOWN_COMMAND_NETTY_ACCEPTS, Difference.SOCKS4_PORT_ZERO_NETTY_REJECTS,
                    Difference.SOCKS4A_EMPTY_HOST_NETTY_ACCEPTS, Difference.SOCKS4A_HOST_NETTY_APPLIES_IDN,
                    Difference.SOCKS4A_IDN_REFUSAL_ESCAPES_NETTY_AS_EXCEPTION,
                    Difference.NETTY_SOCKS4_DROPS_CHECKPOINTED_BYTES_OF_AN_INCOMPLETE_FRAME),
            Kind.SOCKS5_GREETING, EnumSet.of(Difference.NETTY_SIGNALS_REJECTION_WITH_PLACEHOLDER_MESSAGE,
                    Difference.NETTY_FORWARDS_LEFTOVER_WHILE_IN_PIPELINE),
            Kind.SOCKS5_PASSWORD, EnumSet.of(Difference.NETTY_SIGNALS_REJECTION_WITH_PLACEHOLDER_MESSAGE,
                    Difference.NETTY_FORWARDS_LEFTOVER_WHILE_IN_PIPELINE,
                    Difference.PASSWORD_EMPTY_FIELD_NETTY_ACCEPTS),
            Kind.SOCKS5_COMMAND, EnumSet.of(Difference.NETTY_SIGNALS_REJECTION_WITH_PLACEHOLDER_MESSAGE,
                    Difference.NETTY_FORWARDS_LEFTOVER_WHILE_IN_PIPELINE,
                    Difference.DOMAIN_LENGTH_ZERO_NETTY_ACCEPTS, Difference.DOMAIN_NETTY_APPLIES_IDN)));

    static final int RANDOM_FRAMES_PER_DECODER = 400;
    static final int RANDOM_MUTATIONS_PER_DECODER = 800;

    static long seed;

    @BeforeAll
    static void pickSeed() {
        String property = System.getProperty("ferry.test.seed");
        seed = property != null && !property.isBlank() ? Long.parseLong(property.trim()) : new Random().nextLong();
        System.out.println("NettySocksDifferentialTest: -Dferry.test.seed=" + seed);
    }

    // ---- running both --------------------------------------------------------------------------

    static ChannelHandler nettyDecoder(Kind kind) {
        switch (kind) {
            case SOCKS4:
                return new io.netty.handler.codec.socksx.v4.Socks4ServerDecoder();
            case SOCKS5_GREETING:
                return new io.netty.handler.codec.socksx.v5.Socks5InitialRequestDecoder();
            case SOCKS5_PASSWORD:
                return new io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequestDecoder();
            default:
                return new io.netty.handler.codec.socksx.v5.Socks5CommandRequestDecoder();
        }
    }

    /** Normalised SOCKS4 request. */
    record S4(int cmd, int port, String host, String userId) {
    }

    /** Normalised greeting: the method bytes. */
    record Greeting(List<Integer> methods) {
    }

    /** Normalised RFC 1929 request, one char per byte. */
    record Auth(String username, String password) {
    }

    /** Normalised SOCKS5 request; an IP address as "ip:" and the hex of its bytes. */
    record Cmd(int cmd, int atyp, String host, int port) {
    }

    /** One decoder's outcome, normalised. */
    record Side(Verdict verdict, Object fields, Object message, Throwable cause, boolean byException,
            int exceptionCount, byte[] whileInPipeline, byte[] onRemoval) {
        byte[] leftover() {
            return concat(whileInPipeline, onRemoval);
        }

        @Override
        public String toString() {
            return verdict + " " + (fields != null ? fields : "") + (cause != null ? " cause=" + cause : "")
                    + (byException ? " (as " + exceptionCount + " exception(s))" : "") + " whileInPipeline=" + hex(whileInPipeline)
                    + " onRemoval=" + hex(onRemoval);
        }
    }

    static Side ours(Kind kind, List<byte[]> chunks, InputBuffers buffers) {
        DecodeOutcome o = CodecTestSupport.decode(kind.newDecoder(), chunks, buffers);
        assertThat(o.messages.size() + o.exceptions.size()).as("%s", o).isLessThanOrEqualTo(1);
        if (!o.exceptions.isEmpty()) {
            assertThat(o.exceptions.get(0)).isInstanceOf(SocksProtocolException.class);
            return new Side(Verdict.REJECTED, null, null, o.exceptions.get(0), true, 1, o.forwardedWhileInPipeline,
                    o.forwardedOnRemoval);
        }
        if (o.messages.isEmpty()) {
            return new Side(Verdict.INCOMPLETE, null, null, null, false, 0, o.forwardedWhileInPipeline, o.forwardedOnRemoval);
        }
        Object m = o.messages.get(0);
        return new Side(Verdict.MESSAGE, normaliseOurs(m), m, null, false, 0, o.forwardedWhileInPipeline,
                o.forwardedOnRemoval);
    }

    static Side netty(Kind kind, List<byte[]> chunks, InputBuffers buffers) {
        DecodeOutcome o = CodecTestSupport.decode(nettyDecoder(kind), chunks, buffers);
        assertThat(o.messages.size()).as("netty %s", o).isLessThanOrEqualTo(1);
        if (!o.exceptions.isEmpty()) {
            // more than one only in the SOCKS4a IDN case, checked in explainIdnExceptionInSocks4Rejection
            assertThat(o.messages).as("netty %s", o).isEmpty();
            for (Throwable t : o.exceptions) {
                assertThat(String.valueOf(t)).as("the same failure each time; netty %s", o)
                        .isEqualTo(String.valueOf(o.exceptions.get(0)));
            }
            return new Side(Verdict.REJECTED, null, null, o.exceptions.get(0), true, o.exceptions.size(),
                    o.forwardedWhileInPipeline, o.forwardedOnRemoval);
        }
        if (o.messages.isEmpty()) {
            return new Side(Verdict.INCOMPLETE, null, null, null, false, 0, o.forwardedWhileInPipeline, o.forwardedOnRemoval);
        }
        Object m = o.messages.get(0);
        assertThat(m).isInstanceOf(DecoderResultProvider.class);
        if (((DecoderResultProvider) m).decoderResult().isFailure()) {
            return new Side(Verdict.REJECTED, null, m, ((DecoderResultProvider) m).decoderResult().cause(), false, 0,
                    o.forwardedWhileInPipeline, o.forwardedOnRemoval);
        }
        return new Side(Verdict.MESSAGE, normaliseNetty(m), m, null, false, 0, o.forwardedWhileInPipeline,
                o.forwardedOnRemoval);
    }

    static String ipKey(byte[] address) {
        return "ip:" + hex(address);
    }

    static Object normaliseOurs(Object m) {
        if (m instanceof Socks4CommandRequest) {
            Socks4CommandRequest r = (Socks4CommandRequest) m;
            return new S4(r.type().byteValue() & 0xFF, r.dst().port(), r.dst().host(), r.userId());
        }
        if (m instanceof Socks5InitialRequest) {
            List<Integer> methods = new ArrayList<>();
            for (Socks5AuthMethod method : ((Socks5InitialRequest) m).methods()) {
                methods.add(method.byteValue() & 0xFF);
            }
            return new Greeting(methods);
        }
        if (m instanceof Socks5PasswordAuthRequest) {
            Socks5PasswordAuthRequest r = (Socks5PasswordAuthRequest) m;
            return new Auth(latin1(r.username()), latin1(r.password()));
        }
        Socks5CommandRequest r = (Socks5CommandRequest) m;
        String host = r.dst().isDomain() ? r.dst().host() : ipKey(r.dst().inetAddress().getAddress());
        return new Cmd(r.type().byteValue() & 0xFF, r.dst().type().byteValue(), host, r.dst().port());
    }

    static Object normaliseNetty(Object m) {
        if (m instanceof io.netty.handler.codec.socksx.v4.Socks4CommandRequest) {
            io.netty.handler.codec.socksx.v4.Socks4CommandRequest r = (io.netty.handler.codec.socksx.v4.Socks4CommandRequest) m;
            return new S4(r.type().byteValue() & 0xFF, r.dstPort(), r.dstAddr(), r.userId());
        }
        if (m instanceof io.netty.handler.codec.socksx.v5.Socks5InitialRequest) {
            List<Integer> methods = new ArrayList<>();
            for (io.netty.handler.codec.socksx.v5.Socks5AuthMethod method
                    : ((io.netty.handler.codec.socksx.v5.Socks5InitialRequest) m).authMethods()) {
                methods.add(method.byteValue() & 0xFF);
            }
            return new Greeting(methods);
        }
        if (m instanceof io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequest) {
            io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequest r =
                    (io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequest) m;
            return new Auth(r.username(), r.password());
        }
        io.netty.handler.codec.socksx.v5.Socks5CommandRequest r = (io.netty.handler.codec.socksx.v5.Socks5CommandRequest) m;
        int atyp = r.dstAddrType().byteValue();
        // Netty gives IP addresses as text: compare the bytes, not the formatting
        String host = atyp == 3 ? r.dstAddr() : ipKey(NetUtil.createByteArrayFromIpAddressString(r.dstAddr()));
        return new Cmd(r.type().byteValue() & 0xFF, atyp, host, r.dstPort());
    }

    // ---- comparing -----------------------------------------------------------------------------

    /** The differences seen, per decoder, over a whole test run (for the report on stdout). */
    static final Map<Kind, Map<Difference, Integer>> SEEN = new EnumMap<>(Kind.class);

    /** Same cut offsets for a same-length repaired input. */
    static List<byte[]> resplit(byte[] input, List<byte[]> chunks) {
        List<byte[]> result = new ArrayList<>();
        int from = 0;
        for (byte[] chunk : chunks) {
            result.add(range(input, from, from + chunk.length));
            from += chunk.length;
        }
        return result;
    }

    /**
     * Runs both decoders on {@code chunks} and returns the documented differences between their
     * outcomes; fails on any other difference.
     */
    static Set<Difference> compare(Kind kind, byte[] input, List<byte[]> chunks, InputBuffers buffers, Object context) {
        Object where = new Object() {
            @Override
            public String toString() {
                return context + " " + kind + " input=" + hex(input) + " chunks=" + describeChunks(chunks);
            }
        };
        Side ours = ours(kind, chunks, buffers);
        Side netty = netty(kind, chunks, buffers);
        Set<Difference> found = EnumSet.noneOf(Difference.class);

        // our side must be what the decoder contract says (DecoderOracle checks this in depth elsewhere)
        Expectation model = DecoderOracle.expect(kind, input);
        assertThat(ours.verdict()).as("ours; %s", where).isEqualTo(model.verdict());
        assertThat(ours.whileInPipeline()).as("ours holds leftover until removed; %s", where).isEmpty();

        if (netty.verdict() == Verdict.REJECTED && !netty.byException()) {
            found.add(Difference.NETTY_SIGNALS_REJECTION_WITH_PLACEHOLDER_MESSAGE);
        }
        if (ours.verdict() == netty.verdict()) {
            switch (ours.verdict()) {
                case MESSAGE:
                    if (ours.fields().equals(netty.fields())) {
                        assertThat(netty.leftover()).as("same leftover bytes; %s ours=%s netty=%s", where, ours, netty)
                                .isEqualTo(ours.leftover());
                        if (netty.whileInPipeline().length > 0) {
                            found.add(Difference.NETTY_FORWARDS_LEFTOVER_WHILE_IN_PIPELINE);
                        }
                        assertThat(netty.byException()).isFalse();
                        return record(kind, found);
                    }
                    break; // fields differ: explain below
                case INCOMPLETE:
                    assertThat(ours.leftover()).as("ours holds the whole input; %s", where).isEqualTo(input);
                    if (!Arrays.equals(netty.leftover(), input)) {
                        // Netty's SOCKS4 decoder forwards only what follows its last checkpoint
                        assertThat(kind).as("%s netty=%s", where, netty).isEqualTo(Kind.SOCKS4);
                        int consumed = input.length - netty.leftover().length;
                        assertThat(netty.leftover()).as("%s", where).isEqualTo(range(input, consumed, input.length));
                        assertThat(consumed).as("the header, or header and USERID; %s", where)
                                .isIn(8, indexOfNul(input, 8) + 1);
                        found.add(Difference.NETTY_SOCKS4_DROPS_CHECKPOINTED_BYTES_OF_AN_INCOMPLETE_FRAME);
                    }
                    return record(kind, found);
                default:
                    assertThat(ours.leftover()).as("ours discards after a fault; %s", where).isEmpty();
                    if (netty.leftover().length > 0) {
                        assertThat(kind).as("only Netty's SOCKS4 decoder forwards after a fault; %s", where)
                                .isEqualTo(Kind.SOCKS4);
                        assertThat(isProperSuffix(netty.leftover(), input)).as("a suffix of the input; %s %s", where, netty)
                                .isTrue();
                        found.add(Difference.NETTY_SOCKS4_FORWARDS_BYTES_AFTER_REJECTION);
                    }
                    if (netty.byException() || netty.exceptionCount() > 1) {
                        found.addAll(explainIdnExceptionInSocks4Rejection(kind, input, netty, where));
                    }
                    return record(kind, found);
            }
        }
        found.addAll(explain(kind, input, chunks, buffers, ours, netty, where, context));
        return record(kind, found);
    }

    static Set<Difference> record(Kind kind, Set<Difference> found) {
        synchronized (SEEN) {
            Map<Difference, Integer> counts = SEEN.computeIfAbsent(kind, k -> new EnumMap<>(Difference.class));
            for (Difference d : found) {
                counts.merge(d, 1, Integer::sum);
            }
        }
        return found;
    }

    static boolean isProperSuffix(byte[] suffix, byte[] input) {
        return suffix.length < input.length
                && Arrays.equals(suffix, range(input, input.length - suffix.length, input.length));
    }

    /** IDN.toASCII as Netty calls it, or the exception it throws. */
    static Object idn(String host) {
        try {
            return IDN.toASCII(host);
        } catch (IllegalArgumentException e) {
            return e;
        }
    }

    static boolean causedBy(Throwable t, Class<? extends Throwable> type, String messagePart) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c) && c.getMessage() != null && c.getMessage().contains(messagePart)) {
                return true;
            }
        }
        return false;
    }

    /** Both rejected, Netty by exception: only a SOCKS4a host IDN refuses may do that. */
    static Set<Difference> explainIdnExceptionInSocks4Rejection(Kind kind, byte[] input, Side netty, Object where) {
        assertThat(kind).as("only Netty's SOCKS4 decoder throws instead of a placeholder; %s", where).isEqualTo(Kind.SOCKS4);
        String host = socks4aHost(input);
        assertThat(host).as("a SOCKS4a host; %s", where).isNotNull();
        Object idn = idn(host);
        assertThat(idn).as("IDN refuses the host; %s", where).isInstanceOf(IllegalArgumentException.class);
        assertThat(causedBy(netty.cause(), IllegalArgumentException.class, ((Exception) idn).getMessage()))
                .as("Netty's exception is IDN's; %s %s", where, netty.cause()).isTrue();
        return EnumSet.of(Difference.SOCKS4A_IDN_REFUSAL_ESCAPES_NETTY_AS_EXCEPTION);
    }

    /** The SOCKS4a host bytes of {@code input} when it has a complete 0.0.0.x marker, user id and host, else null. */
    static String socks4aHost(byte[] in) {
        if (in.length < 9 || in[4] != 0 || in[5] != 0 || in[6] != 0 || in[7] == 0) {
            return null;
        }
        int userEnd = indexOfNul(in, 8);
        int hostEnd = userEnd < 0 ? -1 : indexOfNul(in, userEnd + 1);
        return hostEnd < 0 ? null : latin1(range(in, userEnd + 1, hostEnd));
    }

    static int indexOfNul(byte[] in, int from) {
        for (int i = from; i < in.length; i++) {
            if (in[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    /** The verdicts or fields differ: find the documented difference that accounts for it, exactly. */
    static Set<Difference> explain(Kind kind, byte[] input, List<byte[]> chunks, InputBuffers buffers, Side ours,
            Side netty, Object where, Object context) {
        Set<Difference> found = EnumSet.noneOf(Difference.class);
        int n = input.length;
        switch (kind) {
            case SOCKS4: {
                int cd = n >= 2 ? input[1] & 0xFF : -1;
                if (n >= 2 && input[0] == 4 && cd != 1 && cd != 2) {
                    // SOCKS4_UNKNOWN_COMMAND: Netty must do with CD x exactly what it does with CONNECT
                    assertThat(ours.verdict()).as("%s", where).isEqualTo(Verdict.REJECTED);
                    byte[] repaired = input.clone();
                    repaired[1] = 1;
                    Side nettyRepaired = netty(kind, resplit(repaired, chunks), buffers);
                    assertThat(netty.verdict()).as("Netty treats CD %d as CONNECT; %s", cd, where)
                            .isEqualTo(nettyRepaired.verdict());
                    if (netty.verdict() == Verdict.MESSAGE) {
                        S4 f = (S4) netty.fields();
                        assertThat(f.cmd()).isEqualTo(cd);
                        assertThat(new S4(1, f.port(), f.host(), f.userId())).as("%s", where).isEqualTo(nettyRepaired.fields());
                        assertThat(netty.leftover()).isEqualTo(nettyRepaired.leftover());
                    }
                    found.add(Difference.SOCKS4_UNKNOWN_COMMAND_NETTY_ACCEPTS);
                    found.addAll(compare(kind, repaired, resplit(repaired, chunks), buffers, context));
                    return found;
                }
                if (ours.verdict() == Verdict.MESSAGE && ((S4) ours.fields()).port() == 0) {
                    // SOCKS4_PORT_ZERO: Netty rejects; with port 1 it must then behave as Ferry does (or differ for another listed reason)
                    assertThat(netty.verdict()).as("Netty rejects port 0; %s", where).isEqualTo(Verdict.REJECTED);
                    byte[] repaired = input.clone();
                    repaired[3] = 1;
                    Side nettyRepaired = netty(kind, resplit(repaired, chunks), buffers);
                    if (nettyRepaired.verdict() == Verdict.MESSAGE) {
                        assertThat(causedBy(netty.cause(), IllegalArgumentException.class, "dstPort: 0"))
                                .as("rejected for the port; %s %s", where, netty).isTrue();
                    }
                    found.add(Difference.SOCKS4_PORT_ZERO_NETTY_REJECTS);
                    found.addAll(compare(kind, repaired, resplit(repaired, chunks), buffers, context));
                    return found;
                }
                String host = socks4aHost(input);
                if (ours.verdict() == Verdict.REJECTED && host != null && host.isEmpty()
                        && ours.cause().getMessage().contains("empty SOCKS4a host")) {
                    // SOCKS4A_EMPTY_HOST: Netty decodes "" with the frame's other fields
                    int userEnd = indexOfNul(input, 8);
                    S4 expected = new S4(cd, (input[2] & 0xFF) << 8 | input[3] & 0xFF, "", latin1(range(input, 8, userEnd)));
                    assertThat(netty.verdict()).as("%s", where).isEqualTo(Verdict.MESSAGE);
                    assertThat(netty.fields()).as("%s", where).isEqualTo(expected);
                    assertThat(netty.leftover()).isEqualTo(range(input, userEnd + 2, n));
                    found.add(Difference.SOCKS4A_EMPTY_HOST_NETTY_ACCEPTS);
                    return found;
                }
                if (ours.verdict() == Verdict.MESSAGE && ((Socks4CommandRequest) ours.message()).isSocks4a()) {
                    S4 f = (S4) ours.fields();
                    Object idn = idn(f.host());
                    if (!f.host().equals(idn)) {
                        // SOCKS4A_HOST_IDN
                        found.add(Difference.SOCKS4A_HOST_NETTY_APPLIES_IDN);
                        if (idn instanceof IllegalArgumentException) {
                            assertThat(netty.verdict()).as("%s", where).isEqualTo(Verdict.REJECTED);
                            assertThat(netty.byException()).as("Netty's failure path throws; %s", where).isTrue();
                            found.addAll(explainIdnExceptionInSocks4Rejection(kind, input, netty, where));
                        } else {
                            assertThat(netty.verdict()).as("%s", where).isEqualTo(Verdict.MESSAGE);
                            assertThat(netty.fields()).as("Netty's host is IDN.toASCII of ours; %s", where)
                                    .isEqualTo(new S4(f.cmd(), f.port(), (String) idn, f.userId()));
                            assertThat(netty.leftover()).isEqualTo(ours.leftover());
                        }
                        return found;
                    }
                }
                break;
            }
            case SOCKS5_PASSWORD: {
                int ulen = n >= 2 ? input[1] & 0xFF : -1;
                boolean emptyUser = ulen == 0;
                boolean emptyPassword = ulen > 0 && n > 2 + ulen && input[2 + ulen] == 0;
                if (n >= 2 && input[0] == 1 && (emptyUser || emptyPassword)) {
                    // PASSWORD_EMPTY_FIELD: Netty reads the frame with the lengths as given
                    assertThat(ours.verdict()).as("%s", where).isEqualTo(Verdict.REJECTED);
                    int plen = n > 2 + ulen ? input[2 + ulen] & 0xFF : -1;
                    if (plen < 0 || n < 3 + ulen + plen) {
                        assertThat(netty.verdict()).as("Netty waits for the rest; %s", where).isEqualTo(Verdict.INCOMPLETE);
                        assertThat(netty.leftover()).isEqualTo(input);
                    } else {
                        assertThat(netty.verdict()).as("%s", where).isEqualTo(Verdict.MESSAGE);
                        assertThat(netty.fields()).as("%s", where).isEqualTo(
                                new Auth(latin1(range(input, 2, 2 + ulen)), latin1(range(input, 3 + ulen, 3 + ulen + plen))));
                        assertThat(netty.leftover()).isEqualTo(range(input, 3 + ulen + plen, n));
                    }
                    found.add(Difference.PASSWORD_EMPTY_FIELD_NETTY_ACCEPTS);
                    return found;
                }
                break;
            }
            case SOCKS5_COMMAND: {
                if (n >= 5 && input[0] == 5 && input[3] == 3 && input[4] == 0) {
                    // DOMAIN_LENGTH_ZERO: Netty reads "" and the port after it
                    assertThat(ours.verdict()).as("%s", where).isEqualTo(Verdict.REJECTED);
                    if (n < 7) {
                        assertThat(netty.verdict()).as("%s", where).isEqualTo(Verdict.INCOMPLETE);
                        assertThat(netty.leftover()).isEqualTo(input);
                    } else {
                        assertThat(netty.verdict()).as("%s", where).isEqualTo(Verdict.MESSAGE);
                        assertThat(netty.fields()).as("%s", where)
                                .isEqualTo(new Cmd(input[1] & 0xFF, 3, "", (input[5] & 0xFF) << 8 | input[6] & 0xFF));
                        assertThat(netty.leftover()).isEqualTo(range(input, 7, n));
                    }
                    found.add(Difference.DOMAIN_LENGTH_ZERO_NETTY_ACCEPTS);
                    return found;
                }
                if (ours.verdict() == Verdict.MESSAGE && ((Cmd) ours.fields()).atyp() == 3) {
                    Cmd f = (Cmd) ours.fields();
                    Object idn = idn(f.host());
                    if (!f.host().equals(idn)) {
                        // DOMAIN_IDN
                        if (idn instanceof IllegalArgumentException) {
                            assertThat(netty.verdict()).as("%s", where).isEqualTo(Verdict.REJECTED);
                            assertThat(causedBy(netty.cause(), IllegalArgumentException.class,
                                    ((Exception) idn).getMessage())).as("IDN's refusal; %s %s", where, netty).isTrue();
                        } else if (((String) idn).length() > 255) {
                            assertThat(netty.verdict()).as("%s", where).isEqualTo(Verdict.REJECTED);
                            assertThat(causedBy(netty.cause(), IllegalArgumentException.class, "less than 256 chars"))
                                    .as("%s %s", where, netty).isTrue();
                        } else {
                            assertThat(netty.verdict()).as("%s", where).isEqualTo(Verdict.MESSAGE);
                            assertThat(netty.fields()).as("Netty's host is IDN.toASCII of ours; %s", where)
                                    .isEqualTo(new Cmd(f.cmd(), 3, (String) idn, f.port()));
                            assertThat(netty.leftover()).isEqualTo(ours.leftover());
                        }
                        found.add(Difference.DOMAIN_NETTY_APPLIES_IDN);
                        return found;
                    }
                }
                break;
            }
            default:
                break;
        }
        throw new AssertionError("unexplained difference between Ferry and Netty; " + where + "\n  ours:  " + ours
                + "\n  netty: " + netty);
    }

    // ---- corpora -------------------------------------------------------------------------------

    static final byte[] IP = bytes(192, 168, 7, 9);
    static final byte[] IPV6 = bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
    static final byte[] IPV6_MAPPED = concat(new byte[10], bytes(0xFF, 0xFF, 1, 2, 3, 4));
    static final byte[] IPV6_COMPAT = concat(new byte[12], bytes(1, 2, 3, 4));
    static final byte[] PAYLOAD = latin1("GET / HTTP/1.1\r\n\r\n");

    /** Named inputs per decoder: valid (with and without trailing bytes), edge cases, and every malformation. */
    static List<byte[]> fixedCorpus(Kind kind) {
        List<byte[]> corpus = new ArrayList<>();
        switch (kind) {
            case SOCKS4:
                corpus.add(socks4(1, 80, IP, latin1("fred")));
                corpus.add(concat(socks4(2, 65535, IP, new byte[0]), PAYLOAD));
                corpus.add(socks4(1, 0x8000, bytes(0, 0, 0, 0), bytes(0x80, 0xE9, 0xFF)));
                corpus.add(concat(socks4(1, 1, bytes(0, 0, 0, 0), new byte[0]), latin1("host"), bytes(0)));
                corpus.add(socks4(1, 443, IP, filled(255, 'u')));
                corpus.add(socks4a(1, 443, 1, latin1("alice"), latin1("example.com")));
                corpus.add(concat(socks4a(2, 256, 255, new byte[0], latin1("Example.COM")), PAYLOAD));
                corpus.add(socks4a(1, 80, 7, latin1("u"), filled(63, 'h')));
                corpus.add(socks4a(1, 80, 7, latin1("u"), latin1("a.b.c")));
                // Netty's IDN
                corpus.add(socks4a(1, 80, 1, latin1("u"), filled(64, 'h')));
                corpus.add(socks4a(1, 80, 1, latin1("u"), filled(255, 'h')));
                corpus.add(socks4a(1, 80, 1, latin1("u"), latin1("a..b")));
                corpus.add(socks4a(1, 80, 1, latin1("u"), bytes('c', 'a', 'f', 0xE9)));
                corpus.add(socks4a(1, 80, 1, latin1("u"), bytes(0x80, 'x')));
                // port 0
                corpus.add(socks4(1, 0, IP, latin1("u")));
                corpus.add(socks4a(1, 0, 1, latin1("u"), latin1("h")));
                corpus.add(socks4a(1, 0, 1, latin1("u"), filled(64, 'h')));
                // unknown command
                corpus.add(socks4(3, 80, IP, latin1("u")));
                corpus.add(socks4(0, 80, IP, new byte[0]));
                corpus.add(socks4(0xFF, 0, IP, new byte[0]));
                corpus.add(socks4a(0x90, 80, 1, new byte[0], latin1("h")));
                // malformed for both
                corpus.add(concat(bytes(5), range(socks4(1, 80, IP, latin1("fred")), 1, 13)));
                corpus.add(socks4(1, 80, IP, filled(256, 'u')));
                corpus.add(socks4a(1, 80, 1, latin1("u"), filled(256, 'h')));
                corpus.add(socks4a(1, 80, 1, latin1("u"), new byte[0]));
                corpus.add(socks4a(1, 0, 1, latin1("u"), new byte[0]));
                // incomplete
                corpus.add(concat(bytes(4, 1, 0, 80), IP, latin1("no-nul")));
                corpus.add(concat(bytes(4, 1, 0, 80, 0, 0, 0, 1), latin1("u"), bytes(0), latin1("host-no-nul")));
                break;
            case SOCKS5_GREETING:
                corpus.add(greeting(0));
                corpus.add(concat(greeting(0, 1, 2), commandIpv4(1, IP, 80)));
                corpus.add(greeting(0x02, 0xFF, 0x80, 0x00));
                byte[] all = new byte[255];
                for (int i = 0; i < 255; i++) {
                    all[i] = (byte) (254 - i);
                }
                corpus.add(greeting(all));
                corpus.add(bytes(5, 0));
                corpus.add(bytes(5, 0, 1, 2));
                corpus.add(bytes(4, 1, 0));
                corpus.add(bytes(5, 3, 0, 1));
                break;
            case SOCKS5_PASSWORD:
                corpus.add(passwordAuth(latin1("user"), latin1("secret")));
                corpus.add(concat(passwordAuth(bytes(0x80, 0xFF, 0x00), bytes(0xE9)), commandIpv4(1, IP, 80)));
                corpus.add(passwordAuth(filled(255, 'U'), filled(255, 'P')));
                corpus.add(bytes(1, 0, 1, 'p'));
                corpus.add(bytes(1, 0, 1, 'p', 'x', 'y'));
                corpus.add(bytes(1, 1, 'u', 0));
                corpus.add(bytes(1, 1, 'u', 0, 'x'));
                corpus.add(bytes(1, 0, 0));
                corpus.add(bytes(1, 0));
                corpus.add(bytes(2, 1, 'u', 1, 'p'));
                corpus.add(bytes(5, 1, 'u', 1, 'p'));
                corpus.add(bytes(1, 4, 'u', 's'));
                break;
            default:
                corpus.add(commandIpv4(1, IP, 443));
                corpus.add(concat(commandIpv4(3, new byte[4], 0), PAYLOAD));
                corpus.add(commandIpv6(2, IPV6, 65535));
                corpus.add(commandIpv6(1, IPV6_MAPPED, 80));
                corpus.add(commandIpv6(1, IPV6_COMPAT, 80));
                corpus.add(commandIpv6(1, concat(new byte[15], bytes(1)), 80));
                corpus.add(commandIpv6(1, new byte[16], 0));
                corpus.add(commandDomain(1, latin1("example.com"), 80));
                corpus.add(concat(commandDomain(0x7F, latin1("Example.COM"), 0x8000), PAYLOAD));
                corpus.add(SocksFrames.command(1, 0xFF, 1, IP, 80));
                corpus.add(commandDomain(1, filled(63, 'd'), 1));
                // Netty's IDN
                corpus.add(commandDomain(1, filled(64, 'd'), 1));
                corpus.add(commandDomain(1, filled(255, 'd'), 1));
                corpus.add(commandDomain(1, latin1("a..b"), 1));
                corpus.add(commandDomain(1, bytes('c', 'a', 'f', 0xE9), 1));
                corpus.add(commandDomain(1, bytes(0x80), 1));
                corpus.add(commandDomain(1, concat(bytes(0xE9), filled(62, 'a'), bytes('.'), filled(63, 'b'), bytes('.'),
                        filled(63, 'c'), bytes('.'), filled(63, 'd')), 1));
                // domain length 0
                corpus.add(bytes(5, 1, 0, 3, 0, 0, 80));
                corpus.add(bytes(5, 1, 0, 3, 0, 0, 80, 1, 2));
                corpus.add(bytes(5, 1, 0, 3, 0, 0));
                // malformed for both
                corpus.add(SocksFrames.command(1, 0, 2, IP, 80));
                corpus.add(SocksFrames.command(1, 0, 0xFF, IP, 80));
                corpus.add(concat(bytes(4), range(commandIpv4(1, IP, 80), 1, 10)));
                // incomplete
                corpus.add(concat(bytes(5, 1, 0, 4), range(IPV6, 0, 8), bytes(0, 80)));
                break;
        }
        return corpus;
    }

    /** Every fixed input whole, split at every byte boundary, and one byte per write. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void fixedCorpusAgreesExceptForTheDocumentedDifferences(Kind kind) {
        Set<Difference> seen = EnumSet.noneOf(Difference.class);
        for (byte[] input : fixedCorpus(kind)) {
            seen.addAll(compare(kind, input, whole(input), InputBuffers.LEAK_TRACKED, "fixed"));
            seen.addAll(compare(kind, input, oneBytePerChunk(input), InputBuffers.REF_COUNT_CHECKED, "fixed bytewise"));
            for (int cut = 1; cut < input.length; cut++) {
                seen.addAll(compare(kind, input, CodecTestSupport.splitAt(input, cut), InputBuffers.REF_COUNT_CHECKED,
                        "fixed cut " + cut));
            }
        }
        System.out.println("NettySocksDifferentialTest " + kind + " fixed corpus: " + SEEN.get(kind));
        assertThat(seen).as("the differences %s shows are exactly the documented ones", kind).isEqualTo(EXPECTED.get(kind));
    }

    /** Random valid frames and mutations of them, randomly split: only documented differences. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void randomCorpusAgreesExceptForTheDocumentedDifferences(Kind kind) {
        Random random = new Random(seed ^ kind.ordinal() * 0x9E3779B97F4A7C15L);
        Generator generator = new Generator(random);
        Set<Difference> seen = EnumSet.noneOf(Difference.class);
        for (int i = 0; i < RANDOM_FRAMES_PER_DECODER + RANDOM_MUTATIONS_PER_DECODER; i++) {
            byte[] frame;
            switch (kind) {
                case SOCKS4:
                    frame = generator.socks4or4a().frame();
                    break;
                case SOCKS5_GREETING:
                    frame = generator.greeting().frame();
                    break;
                case SOCKS5_PASSWORD:
                    frame = generator.passwordAuth().frame();
                    break;
                default:
                    frame = generator.command().frame();
                    break;
            }
            byte[] input = i < RANDOM_FRAMES_PER_DECODER
                    ? concat(frame, random.nextBoolean() ? new byte[0] : generator.anyBytes(1 + random.nextInt(8)))
                    : RandomizedDecoderTest.mutate(frame, random);
            int iteration = i;
            Object context = new Object() {
                @Override
                public String toString() {
                    return "[reproduce with -Dferry.test.seed=" + seed + "; random #" + iteration + "]";
                }
            };
            seen.addAll(compare(kind, input, randomSplit(input, random), InputBuffers.REF_COUNT_CHECKED, context));
        }
        System.out.println("NettySocksDifferentialTest " + kind + " random corpus (seed " + seed + "): " + seen);
        assertThat(EXPECTED.get(kind)).as("seed %d", seed).containsAll(seen);
    }

    // ---- each difference, spelled out ----------------------------------------------------------

    @Test
    void nettyRejectsThroughAPlaceholderMessageFerryThroughAnException() {
        byte[] input = bytes(5, 1, 0, 2, 1, 2, 3, 4, 0, 80);
        Side netty = netty(Kind.SOCKS5_COMMAND, whole(input), InputBuffers.LEAK_TRACKED);
        assertThat(netty.verdict()).isEqualTo(Verdict.REJECTED);
        assertThat(netty.byException()).isFalse();
        assertThat(netty.message()).isInstanceOf(io.netty.handler.codec.socksx.v5.Socks5CommandRequest.class);
        assertThat(((DecoderResultProvider) netty.message()).decoderResult().isFailure()).isTrue();
        Side ours = ours(Kind.SOCKS5_COMMAND, whole(input), InputBuffers.LEAK_TRACKED);
        assertThat(ours.byException()).isTrue();
        assertThat(((SocksProtocolException) ours.cause()).errorReply()).isNotNull();
    }

    @Test
    void nettyForwardsLeftoverAtOnceFerryOnRemoval() {
        byte[] request = commandIpv4(1, IP, 80);
        Side netty = netty(Kind.SOCKS5_GREETING, whole(concat(greeting(0), request)), InputBuffers.LEAK_TRACKED);
        Side ours = ours(Kind.SOCKS5_GREETING, whole(concat(greeting(0), request)), InputBuffers.LEAK_TRACKED);
        assertThat(netty.whileInPipeline()).isEqualTo(request);
        assertThat(ours.whileInPipeline()).isEmpty();
        assertThat(ours.onRemoval()).isEqualTo(request);
    }

    @Test
    void nettySocks4ForwardsTheBytesAfterARejection() {
        byte[] input = concat(bytes(5), range(socks4(1, 80, IP, latin1("fred")), 1, 13));
        Side netty = netty(Kind.SOCKS4, whole(input), InputBuffers.LEAK_TRACKED);
        assertThat(netty.verdict()).isEqualTo(Verdict.REJECTED);
        assertThat(netty.onRemoval()).isEqualTo(range(input, 1, input.length));
        assertThat(ours(Kind.SOCKS4, whole(input), InputBuffers.LEAK_TRACKED).leftover()).isEmpty();
    }

    @Test
    void socks4UnknownCommandNettyAcceptsFerryRejects() {
        byte[] input = socks4(3, 80, IP, latin1("u"));
        Side netty = netty(Kind.SOCKS4, whole(input), InputBuffers.LEAK_TRACKED);
        assertThat(netty.fields()).isEqualTo(new S4(3, 80, "192.168.7.9", "u"));
        assertThat(((SocksProtocolException) ours(Kind.SOCKS4, whole(input), InputBuffers.LEAK_TRACKED).cause()).errorReply())
                .isEqualTo(dev.ferryproxy.codec.v4.Socks4CommandResponse.rejected());
    }

    @Test
    void nettySocks4DropsTheCheckpointedHeaderOfAnIncompleteFrame() {
        byte[] header = concat(bytes(4, 1, 0, 80), IP);
        byte[] input = concat(header, latin1("no-nul"));
        assertThat(netty(Kind.SOCKS4, whole(input), InputBuffers.LEAK_TRACKED).onRemoval()).isEqualTo(latin1("no-nul"));
        assertThat(ours(Kind.SOCKS4, whole(input), InputBuffers.LEAK_TRACKED).onRemoval()).isEqualTo(input);
    }

    @Test
    void nettySocks4ThrowsOnEveryReadAfterAnIdnRefusal() {
        byte[] input = socks4a(1, 80, 1, latin1("u"), filled(64, 'h'));
        Side netty = netty(Kind.SOCKS4, List.of(input, bytes(1), bytes(2)), InputBuffers.LEAK_TRACKED);
        assertThat(netty.exceptionCount()).isEqualTo(3);
        Side ours = ours(Kind.SOCKS4, List.of(input, bytes(1), bytes(2)), InputBuffers.LEAK_TRACKED);
        assertThat(ours.verdict()).isEqualTo(Verdict.MESSAGE);
    }

    @Test
    void socks4PortZeroNettyRejectsFerryAccepts() {
        byte[] input = socks4(1, 0, IP, latin1("u"));
        Side netty = netty(Kind.SOCKS4, whole(input), InputBuffers.LEAK_TRACKED);
        assertThat(netty.verdict()).isEqualTo(Verdict.REJECTED);
        assertThat(causedBy(netty.cause(), IllegalArgumentException.class, "dstPort: 0 (expected: 1~65535)")).isTrue();
        assertThat(ours(Kind.SOCKS4, whole(input), InputBuffers.LEAK_TRACKED).fields()).isEqualTo(new S4(1, 0, "192.168.7.9", "u"));
    }

    @Test
    void socks4aEmptyHostNettyAcceptsFerryRejects() {
        byte[] input = socks4a(1, 80, 1, latin1("u"), new byte[0]);
        assertThat(netty(Kind.SOCKS4, whole(input), InputBuffers.LEAK_TRACKED).fields()).isEqualTo(new S4(1, 80, "", "u"));
        assertThat(ours(Kind.SOCKS4, whole(input), InputBuffers.LEAK_TRACKED).verdict()).isEqualTo(Verdict.REJECTED);
    }

    @Test
    void socks4aHostNettyAppliesIdnFerryKeepsBytes() {
        byte[] punycode = socks4a(1, 80, 1, latin1("u"), bytes('c', 'a', 'f', 0xE9));
        assertThat(netty(Kind.SOCKS4, whole(punycode), InputBuffers.LEAK_TRACKED).fields())
                .isEqualTo(new S4(1, 80, "xn--caf-dma", "u"));
        assertThat(ours(Kind.SOCKS4, whole(punycode), InputBuffers.LEAK_TRACKED).fields())
                .isEqualTo(new S4(1, 80, "caf\u00e9", "u"));
        byte[] longLabel = socks4a(1, 80, 1, latin1("u"), filled(64, 'h'));
        Side netty = netty(Kind.SOCKS4, whole(longLabel), InputBuffers.LEAK_TRACKED);
        assertThat(netty.byException()).as("escapes Netty's failure path as an exception").isTrue();
        assertThat(causedBy(netty.cause(), IllegalArgumentException.class, "The label in the input is too long")).isTrue();
        assertThat(ours(Kind.SOCKS4, whole(longLabel), InputBuffers.LEAK_TRACKED).verdict()).isEqualTo(Verdict.MESSAGE);
    }

    @Test
    void passwordEmptyFieldsNettyAcceptsFerryRejects() {
        assertThat(netty(Kind.SOCKS5_PASSWORD, whole(bytes(1, 0, 1, 'p')), InputBuffers.LEAK_TRACKED).fields())
                .isEqualTo(new Auth("", "p"));
        assertThat(netty(Kind.SOCKS5_PASSWORD, whole(bytes(1, 1, 'u', 0)), InputBuffers.LEAK_TRACKED).fields())
                .isEqualTo(new Auth("u", ""));
        assertThat(ours(Kind.SOCKS5_PASSWORD, whole(bytes(1, 1, 'u', 0)), InputBuffers.LEAK_TRACKED).verdict())
                .isEqualTo(Verdict.REJECTED);
    }

    @Test
    void domainLengthZeroNettyAcceptsFerryRejects() {
        assertThat(netty(Kind.SOCKS5_COMMAND, whole(bytes(5, 1, 0, 3, 0, 0, 80)), InputBuffers.LEAK_TRACKED).fields())
                .isEqualTo(new Cmd(1, 3, "", 80));
        assertThat(ours(Kind.SOCKS5_COMMAND, whole(bytes(5, 1, 0, 3, 0, 0, 80)), InputBuffers.LEAK_TRACKED).verdict())
                .isEqualTo(Verdict.REJECTED);
    }

    @Test
    void domainNettyAppliesIdnFerryKeepsBytes() {
        byte[] input = commandDomain(1, filled(64, 'd'), 1);
        Side netty = netty(Kind.SOCKS5_COMMAND, whole(input), InputBuffers.LEAK_TRACKED);
        assertThat(netty.verdict()).isEqualTo(Verdict.REJECTED);
        assertThat(netty.byException()).as("a placeholder, unlike SOCKS4a").isFalse();
        assertThat(ours(Kind.SOCKS5_COMMAND, whole(input), InputBuffers.LEAK_TRACKED).fields())
                .isEqualTo(new Cmd(1, 3, latin1(filled(64, 'd')), 1));
    }

    // ---- where they agree though one might expect otherwise ------------------------------------

    @Test
    void nettyUsAsciiDecodingIsLosslessLikeFerrysLatin1() {
        // netty-codec-socks asks for US-ASCII, but Netty's ByteBuf#toString(US_ASCII) maps each byte to one char
        byte[] user = bytes(0x80, 0xE9, 0xFF);
        byte[] input = passwordAuth(user, bytes(0xC3, 0x28));
        assertThat(netty(Kind.SOCKS5_PASSWORD, whole(input), InputBuffers.LEAK_TRACKED).fields())
                .isEqualTo(ours(Kind.SOCKS5_PASSWORD, whole(input), InputBuffers.LEAK_TRACKED).fields())
                .isEqualTo(new Auth(latin1(user), latin1(bytes(0xC3, 0x28))));
    }

    @Test
    void ipv6TextIsTheSameInBoth() {
        // compared as bytes in the corpus tests; in 4.2.18 both also format with NetUtil the same way
        for (byte[] ip : List.of(IPV6, IPV6_MAPPED, IPV6_COMPAT, new byte[16])) {
            byte[] input = commandIpv6(1, ip, 80);
            Side netty = netty(Kind.SOCKS5_COMMAND, whole(input), InputBuffers.LEAK_TRACKED);
            Side ours = ours(Kind.SOCKS5_COMMAND, whole(input), InputBuffers.LEAK_TRACKED);
            assertThat(((io.netty.handler.codec.socksx.v5.Socks5CommandRequest) netty.message()).dstAddr())
                    .isEqualTo(((Socks5CommandRequest) ours.message()).dst().host());
        }
    }

    @Test
    void bothCapSocks4FieldsAt255Bytes() {
        for (byte[] input : List.of(socks4(1, 80, IP, filled(256, 'u')), socks4a(1, 80, 1, latin1("u"), filled(256, 'h')))) {
            assertThat(netty(Kind.SOCKS4, whole(input), InputBuffers.LEAK_TRACKED).verdict()).isEqualTo(Verdict.REJECTED);
            assertThat(ours(Kind.SOCKS4, whole(input), InputBuffers.LEAK_TRACKED).verdict()).isEqualTo(Verdict.REJECTED);
        }
    }

    @Test
    void bothRejectAGreetingWithoutMethods() {
        Side netty = netty(Kind.SOCKS5_GREETING, whole(bytes(5, 0)), InputBuffers.LEAK_TRACKED);
        assertThat(netty.verdict()).isEqualTo(Verdict.REJECTED);
        assertThat(causedBy(netty.cause(), IllegalArgumentException.class, "must not be empty")).isTrue();
        assertThat(ours(Kind.SOCKS5_GREETING, whole(bytes(5, 0)), InputBuffers.LEAK_TRACKED).verdict())
                .isEqualTo(Verdict.REJECTED);
    }
}
