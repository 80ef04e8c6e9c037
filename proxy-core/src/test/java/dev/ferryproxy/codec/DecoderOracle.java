package dev.ferryproxy.codec;

import static dev.ferryproxy.codec.CodecTestSupport.chunkIndexOf;
import static dev.ferryproxy.codec.CodecTestSupport.concat;
import static dev.ferryproxy.codec.CodecTestSupport.describeChunks;
import static dev.ferryproxy.codec.CodecTestSupport.hex;
import static dev.ferryproxy.codec.CodecTestSupport.latin1;
import static dev.ferryproxy.codec.CodecTestSupport.range;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.codec.CodecTestSupport.DecodeOutcome;
import dev.ferryproxy.codec.CodecTestSupport.InputBuffers;
import dev.ferryproxy.codec.v4.Socks4CommandRequest;
import dev.ferryproxy.codec.v4.Socks4CommandResponse;
import dev.ferryproxy.codec.v4.Socks4CommandType;
import dev.ferryproxy.codec.v4.Socks4ServerDecoder;
import dev.ferryproxy.codec.v5.Socks5AuthMethod;
import dev.ferryproxy.codec.v5.Socks5CommandRequest;
import dev.ferryproxy.codec.v5.Socks5CommandRequestDecoder;
import dev.ferryproxy.codec.v5.Socks5CommandResponse;
import dev.ferryproxy.codec.v5.Socks5CommandStatus;
import dev.ferryproxy.codec.v5.Socks5CommandType;
import dev.ferryproxy.codec.v5.Socks5InitialRequest;
import dev.ferryproxy.codec.v5.Socks5InitialRequestDecoder;
import dev.ferryproxy.codec.v5.Socks5InitialResponse;
import dev.ferryproxy.codec.v5.Socks5PasswordAuthRequest;
import dev.ferryproxy.codec.v5.Socks5PasswordAuthRequestDecoder;
import dev.ferryproxy.codec.v5.Socks5PasswordAuthResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * What a decoder must do with any byte stream, and a check that it does it.
 *
 * <p>{@link #expect} is a reference model written straight from the wire formats in
 * protocol.md and the decoder contract (decode one frame; incomplete: hold everything; malformed:
 * the protocol's reply), independent of the decoders' code. {@link #verify} runs a decoder over
 * chunks and asserts that the outcome is one of the three acceptable ones (a message of the right
 * type, nothing yet, a {@link SocksProtocolException}) and exactly the one the model predicts:
 * same message, same leftover, same error reply; that the message arrives with the chunk holding
 * the frame's last byte; and that the message re-encodes to exactly the bytes consumed.
 */
public final class DecoderOracle {
    private DecoderOracle() {
    }

    /** The four stream decoders. */
    public enum Kind {
        SOCKS4(Socks4ServerDecoder::new, Socks4CommandRequest.class),
        SOCKS5_GREETING(Socks5InitialRequestDecoder::new, Socks5InitialRequest.class),
        SOCKS5_PASSWORD(Socks5PasswordAuthRequestDecoder::new, Socks5PasswordAuthRequest.class),
        SOCKS5_COMMAND(Socks5CommandRequestDecoder::new, Socks5CommandRequest.class);

        private final Supplier<SocksFrameDecoder> factory;
        private final Class<?> messageType;

        Kind(Supplier<SocksFrameDecoder> factory, Class<?> messageType) {
            this.factory = factory;
            this.messageType = messageType;
        }

        public SocksFrameDecoder newDecoder() {
            return factory.get();
        }

        public Class<?> messageType() {
            return messageType;
        }
    }

    public enum Verdict { MESSAGE, INCOMPLETE, REJECTED }

    /** The model's prediction for an input. */
    public record Expectation(Verdict verdict, Object message, int frameLength, Object errorReply) {
        static Expectation message(Object message, int frameLength) {
            return new Expectation(Verdict.MESSAGE, message, frameLength, null);
        }

        static Expectation incomplete() {
            return new Expectation(Verdict.INCOMPLETE, null, -1, null);
        }

        static Expectation rejected(Object errorReply) {
            return new Expectation(Verdict.REJECTED, null, -1, errorReply);
        }
    }

    // ---- the reference model -------------------------------------------------------------------

    public static Expectation expect(Kind kind, byte[] in) {
        switch (kind) {
            case SOCKS4:
                return expectSocks4(in);
            case SOCKS5_GREETING:
                return expectGreeting(in);
            case SOCKS5_PASSWORD:
                return expectPassword(in);
            default:
                return expectCommand(in);
        }
    }

    private static int u(byte[] in, int i) {
        return in[i] & 0xFF;
    }

    /** Index of the first NUL at or after {@code from}, or -1. */
    private static int nul(byte[] in, int from) {
        for (int i = from; i < in.length; i++) {
            if (in[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    private static Expectation expectSocks4(byte[] in) {
        Object reject = Socks4CommandResponse.rejected();
        int n = in.length;
        if (n >= 1 && u(in, 0) != 4) {
            return Expectation.rejected(reject);
        }
        if (n < 2) {
            return Expectation.incomplete();
        }
        int cd = u(in, 1);
        if (cd != 1 && cd != 2) {
            return Expectation.rejected(reject);
        }
        if (n < 8) {
            return Expectation.incomplete();
        }
        int userEnd = nul(in, 8);
        if (userEnd < 0 || userEnd - 8 > 255) {
            return n - 8 > 255 ? Expectation.rejected(reject) : Expectation.incomplete();
        }
        int port = u(in, 2) << 8 | u(in, 3);
        String userId = latin1(range(in, 8, userEnd));
        Socks4CommandType type = cd == 1 ? Socks4CommandType.CONNECT : Socks4CommandType.BIND;
        boolean socks4a = in[4] == 0 && in[5] == 0 && in[6] == 0 && in[7] != 0;
        if (!socks4a) {
            return Expectation.message(new Socks4CommandRequest(type, SocksAddress.ipv4(range(in, 4, 8), port), userId),
                    userEnd + 1);
        }
        int hostStart = userEnd + 1;
        int hostEnd = nul(in, hostStart);
        if (hostEnd < 0 || hostEnd - hostStart > 255) {
            return n - hostStart > 255 ? Expectation.rejected(reject) : Expectation.incomplete();
        }
        if (hostEnd == hostStart) {
            return Expectation.rejected(reject);
        }
        return Expectation.message(new Socks4CommandRequest(type,
                SocksAddress.domain(latin1(range(in, hostStart, hostEnd)), port), userId), hostEnd + 1);
    }

    private static Expectation expectGreeting(byte[] in) {
        int n = in.length;
        if (n >= 1 && u(in, 0) != 5) {
            return Expectation.rejected(null);
        }
        if (n < 2) {
            return Expectation.incomplete();
        }
        int count = u(in, 1);
        if (count == 0) {
            return Expectation.rejected(Socks5InitialResponse.NO_ACCEPTABLE_METHOD);
        }
        if (n < 2 + count) {
            return Expectation.incomplete();
        }
        List<Socks5AuthMethod> methods = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            methods.add(Socks5AuthMethod.valueOf(in[2 + i]));
        }
        return Expectation.message(new Socks5InitialRequest(methods), 2 + count);
    }

    private static Expectation expectPassword(byte[] in) {
        Object failure = Socks5PasswordAuthResponse.FAILURE;
        int n = in.length;
        if (n >= 1 && u(in, 0) != 1) {
            return Expectation.rejected(failure);
        }
        if (n < 2) {
            return Expectation.incomplete();
        }
        int ulen = u(in, 1);
        if (ulen == 0) {
            return Expectation.rejected(failure);
        }
        if (n < 2 + ulen + 1) {
            return Expectation.incomplete();
        }
        int plen = u(in, 2 + ulen);
        if (plen == 0) {
            return Expectation.rejected(failure);
        }
        int length = 3 + ulen + plen;
        if (n < length) {
            return Expectation.incomplete();
        }
        return Expectation.message(new Socks5PasswordAuthRequest(range(in, 2, 2 + ulen), range(in, 3 + ulen, length)),
                length);
    }

    private static Expectation expectCommand(byte[] in) {
        int n = in.length;
        if (n >= 1 && u(in, 0) != 5) {
            return Expectation.rejected(Socks5CommandResponse.failure(Socks5CommandStatus.FAILURE));
        }
        if (n < 4) {
            return Expectation.incomplete();
        }
        int atyp = u(in, 3);
        int addrLength;
        if (atyp == 1) {
            addrLength = 4;
        } else if (atyp == 4) {
            addrLength = 16;
        } else if (atyp == 3) {
            if (n < 5) {
                return Expectation.incomplete();
            }
            if (u(in, 4) == 0) {
                return Expectation.rejected(Socks5CommandResponse.failure(Socks5CommandStatus.FAILURE));
            }
            addrLength = 1 + u(in, 4);
        } else {
            return Expectation.rejected(Socks5CommandResponse.failure(Socks5CommandStatus.ADDRESS_UNSUPPORTED));
        }
        int length = 4 + addrLength + 2;
        if (n < length) {
            return Expectation.incomplete();
        }
        int port = u(in, length - 2) << 8 | u(in, length - 1);
        SocksAddress dst = atyp == 1 ? SocksAddress.ipv4(range(in, 4, 8), port)
                : atyp == 4 ? SocksAddress.ipv6(range(in, 4, 20), port)
                : SocksAddress.domain(latin1(range(in, 5, 5 + u(in, 4))), port);
        return Expectation.message(new Socks5CommandRequest(Socks5CommandType.valueOf(in[1]), dst), length);
    }

    // ---- re-encoding, from the message and the frame's free bytes --------------------------------

    /**
     * Writes a decoded message back as the client frame, with the bytes that the message does not
     * keep (SOCKS5 RSV, the x of a SOCKS4a 0.0.0.x marker) taken from {@code frame}.
     */
    public static byte[] reencode(Object message, byte[] frame) {
        if (message instanceof Socks4CommandRequest) {
            Socks4CommandRequest r = (Socks4CommandRequest) message;
            int cd = r.type().byteValue();
            if (r.isSocks4a()) {
                return SocksFrames.socks4a(cd, r.dst().port(), frame[7], latin1(r.userId()), latin1(r.dst().host()));
            }
            return SocksFrames.socks4(cd, r.dst().port(), r.dst().inetAddress().getAddress(), latin1(r.userId()));
        }
        if (message instanceof Socks5InitialRequest) {
            List<Socks5AuthMethod> methods = ((Socks5InitialRequest) message).methods();
            byte[] b = new byte[methods.size()];
            for (int i = 0; i < b.length; i++) {
                b[i] = methods.get(i).byteValue();
            }
            return SocksFrames.greeting(b);
        }
        if (message instanceof Socks5PasswordAuthRequest) {
            Socks5PasswordAuthRequest r = (Socks5PasswordAuthRequest) message;
            return SocksFrames.passwordAuth(r.username(), r.password());
        }
        Socks5CommandRequest r = (Socks5CommandRequest) message;
        return SocksFrames.command(r.type().byteValue(), frame[2], r.dst().type().byteValue(), addressField(r.dst()),
                r.dst().port());
    }

    /** ADDR as on the wire: 4 or 16 bytes, or a length byte and the name. */
    public static byte[] addressField(SocksAddress address) {
        if (address.isDomain()) {
            byte[] name = latin1(address.host());
            return concat(new byte[] {(byte) name.length}, name);
        }
        return address.inetAddress().getAddress();
    }

    // ---- the check ---------------------------------------------------------------------------

    /**
     * Decodes {@code chunks} (whose concatenation is {@code input}) with a new decoder of
     * {@code kind} and asserts the outcome is exactly the model's.
     *
     * @param context printed on failure (e.g. the seed that reproduces it)
     */
    public static Expectation verify(Kind kind, byte[] input, List<byte[]> chunks, Object context) {
        return verify(kind, input, chunks, context, InputBuffers.LEAK_TRACKED);
    }

    public static Expectation verify(Kind kind, byte[] input, List<byte[]> chunks, Object context,
            InputBuffers inputBuffers) {
        // formatted only when an assertion fails
        Object where = new Object() {
            @Override
            public String toString() {
                return context + " " + kind + " input=" + hex(input) + " chunks=" + describeChunks(chunks);
            }
        };
        DecodeOutcome outcome = CodecTestSupport.decode(kind.newDecoder(), chunks, inputBuffers);
        Expectation expected = expect(kind, input);

        // acceptable outcomes only
        for (Throwable t : outcome.exceptions) {
            if (!(t instanceof SocksProtocolException)) {
                throw new AssertionError("unexpected exception " + t + "; " + where, t);
            }
        }
        assertThat(outcome.exceptions.size() + outcome.messages.size()).as("at most one event; %s %s", where, outcome)
                .isLessThanOrEqualTo(1);
        assertThat(outcome.forwardedWhileInPipeline).as("nothing forwarded before removal; %s", where).isEmpty();
        for (Object message : outcome.messages) {
            assertThat(message).as("%s", where).isInstanceOf(kind.messageType());
        }

        switch (expected.verdict()) {
            case MESSAGE: {
                assertThat(outcome.messages).as("decodes; %s %s", where, outcome).containsExactly(expected.message());
                assertThat(outcome.forwardedOnRemoval).as("leftover; %s", where)
                        .isEqualTo(range(input, expected.frameLength(), input.length));
                assertThat(outcome.messageChunks).as("emitted with the frame's last byte; %s", where)
                        .containsExactly(chunkIndexOf(chunks, expected.frameLength() - 1));
                byte[] frame = range(input, 0, expected.frameLength());
                assertThat(reencode(outcome.messages.get(0), frame)).as("re-encodes to the bytes consumed; %s", where)
                        .isEqualTo(frame);
                break;
            }
            case INCOMPLETE:
                assertThat(outcome.isIncomplete()).as("nothing yet; %s %s", where, outcome).isTrue();
                assertThat(outcome.forwardedOnRemoval).as("held whole; %s", where).isEqualTo(input);
                break;
            default: {
                assertThat(outcome.exceptions).as("rejected; %s %s", where, outcome).hasSize(1);
                SocksProtocolException e = (SocksProtocolException) outcome.exceptions.get(0);
                assertThat(e.errorReply()).as("error reply; %s", where).isEqualTo(expected.errorReply());
                assertThat(outcome.forwardedOnRemoval).as("discarded after the fault; %s", where).isEmpty();
                break;
            }
        }
        return expected;
    }
}
