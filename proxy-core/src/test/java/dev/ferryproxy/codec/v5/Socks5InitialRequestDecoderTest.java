package dev.ferryproxy.codec.v5;

import static dev.ferryproxy.codec.CodecTestSupport.buffer;
import static dev.ferryproxy.codec.CodecTestSupport.bytes;
import static dev.ferryproxy.codec.CodecTestSupport.concat;
import static dev.ferryproxy.codec.CodecTestSupport.decode;
import static dev.ferryproxy.codec.CodecTestSupport.hex;
import static dev.ferryproxy.codec.CodecTestSupport.latin1;
import static dev.ferryproxy.codec.CodecTestSupport.range;
import static dev.ferryproxy.codec.CodecTestSupport.splitAt;
import static dev.ferryproxy.codec.SocksFrames.commandIpv4;
import static dev.ferryproxy.codec.SocksFrames.greeting;
import static dev.ferryproxy.codec.SocksFrames.passwordAuth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.codec.FramingContract;
import dev.ferryproxy.codec.CodecTestSupport.DecodeOutcome;
import dev.ferryproxy.codec.SocksProtocolException;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

class Socks5InitialRequestDecoderTest {
    private static final byte[] NO_AUTH_ONLY = greeting(0x00);
    private static final byte[] THREE_METHODS = greeting(0x00, 0x01, 0x02);
    private static final byte[] PASSWORD_LAST = greeting(0x00, 0x80, 0xFE, 0x03, 0x7F, 0x02);
    private static final byte[] ALL_255 = greeting(allMethodBytesExcept(0xFF));

    private static final List<byte[]> VALID_FRAMES = List.of(NO_AUTH_ONLY, THREE_METHODS, PASSWORD_LAST, ALL_255);

    private static byte[] allMethodBytesExcept(int excluded) {
        byte[] methods = new byte[255];
        int n = 0;
        for (int m = 0; m < 256; m++) {
            if (m != excluded) {
                methods[n++] = (byte) m;
            }
        }
        return methods;
    }

    private static Socks5InitialRequest decodeWhole(byte[] frame) {
        return decode(new Socks5InitialRequestDecoder(), frame).single(Socks5InitialRequest.class);
    }

    private static List<Socks5AuthMethod> methods(byte[] methodBytes) {
        List<Socks5AuthMethod> methods = new ArrayList<>();
        for (byte b : methodBytes) {
            methods.add(Socks5AuthMethod.valueOf(b));
        }
        return methods;
    }

    // ---- valid frames --------------------------------------------------------------------------

    @Test
    void decodesSingleMethod() {
        assertThat(decodeWhole(NO_AUTH_ONLY).methods()).containsExactly(Socks5AuthMethod.NO_AUTH);
    }

    @Test
    void decodesMethodsInTheClientsOrder() {
        assertThat(decodeWhole(THREE_METHODS).methods())
                .containsExactly(Socks5AuthMethod.NO_AUTH, Socks5AuthMethod.GSSAPI, Socks5AuthMethod.PASSWORD);
        assertThat(decodeWhole(greeting(0x02, 0x00)).methods())
                .containsExactly(Socks5AuthMethod.PASSWORD, Socks5AuthMethod.NO_AUTH);
    }

    @Test
    void passwordMethodOfferedLastIsSeen() {
        Socks5InitialRequest request = decodeWhole(PASSWORD_LAST);
        assertThat(request.methods()).hasSize(6).last().isEqualTo(Socks5AuthMethod.PASSWORD);
        assertThat(request.offers(Socks5AuthMethod.PASSWORD)).isTrue();
        assertThat(request.offers(Socks5AuthMethod.GSSAPI)).isFalse();
    }

    @Test
    void everyMethodCountFrom1To255Decodes() {
        Random random = new Random(1928);
        for (int count = 1; count <= 255; count++) {
            byte[] methodBytes = new byte[count];
            random.nextBytes(methodBytes);
            methodBytes[count - 1] = 0x02; // PASSWORD last, after count-1 others
            Socks5InitialRequest request = decodeWhole(greeting(methodBytes));
            assertThat(request.methods()).as("NMETHODS %d", count).isEqualTo(methods(methodBytes));
            assertThat(request.offers(Socks5AuthMethod.PASSWORD)).isTrue();
        }
    }

    @Test
    void all255DistinctMethodsInAnyOrder() {
        assertThat(decodeWhole(ALL_255).methods()).isEqualTo(methods(allMethodBytesExcept(0xFF)));
        List<Byte> shuffled = new ArrayList<>();
        for (int m = 1; m < 256; m++) {
            shuffled.add((byte) m);
        }
        Collections.shuffle(shuffled, new Random(1929));
        byte[] methodBytes = new byte[255];
        for (int i = 0; i < 255; i++) {
            methodBytes[i] = shuffled.get(i);
        }
        assertThat(decodeWhole(greeting(methodBytes)).methods()).isEqualTo(methods(methodBytes));
    }

    @Test
    void duplicatesAndNoAcceptableMethodByteAreKeptAsOffered() {
        assertThat(decodeWhole(greeting(0xFF, 0x00, 0x00, 0xFF)).methods()).containsExactly(
                Socks5AuthMethod.UNACCEPTED, Socks5AuthMethod.NO_AUTH, Socks5AuthMethod.NO_AUTH,
                Socks5AuthMethod.UNACCEPTED);
    }

    @Test
    void methodCountIsUnsigned() {
        // 0x80 and above would be negative as a signed byte
        byte[] methodBytes = new byte[0x80];
        methodBytes[0x7F] = 0x02;
        assertThat(decodeWhole(greeting(methodBytes)).methods()).hasSize(0x80);
        byte[] prefix = concat(bytes(5, 0xFF), new byte[254]);
        decode(new Socks5InitialRequestDecoder(), prefix).assertIncomplete(prefix);
    }

    // ---- splitting and pipelining --------------------------------------------------------------

    @Test
    void decodesEveryFrameSplitAtEveryByteBoundary() {
        FramingContract.assertDecodesTheSameSplitAtEveryBoundary(Socks5InitialRequestDecoder::new, Socks5InitialRequest.class, VALID_FRAMES);
    }

    @Test
    void decodesEveryFrameOneBytePerWriteOnlyAfterItsLastByte() {
        FramingContract.assertDecodesOnTheLastByteOneBytePerWrite(Socks5InitialRequestDecoder::new, Socks5InitialRequest.class, VALID_FRAMES);
    }

    @Test
    void everyStrictPrefixIsIncompleteAndHeldWhole() {
        FramingContract.assertEveryStrictPrefixIsIncompleteAndHeldWhole(Socks5InitialRequestDecoder::new, VALID_FRAMES);
    }

    @Test
    void requestPipelinedAfterTheGreetingIsKeptAndForwardedOnRemoval() {
        byte[] request = commandIpv4(1, bytes(93, 184, 216, 34), 443);
        byte[] input = concat(THREE_METHODS, request);
        for (int cut = 1; cut < input.length; cut++) {
            DecodeOutcome outcome = decode(new Socks5InitialRequestDecoder(), splitAt(input, cut));
            assertThat(outcome.single(Socks5InitialRequest.class)).isEqualTo(decodeWhole(THREE_METHODS));
            assertThat(outcome.forwardedWhileInPipeline).isEmpty();
            assertThat(outcome.forwardedOnRemoval).as("cut at %d", cut).isEqualTo(request);
        }
    }

    @Test
    void greetingAuthAndRequestInOneBufferLeaveAuthAndRequestAsLeftover() {
        byte[] rest = concat(passwordAuth(latin1("user"), latin1("pass")), commandIpv4(1, bytes(1, 2, 3, 4), 80),
                latin1("payload"));
        DecodeOutcome outcome = decode(new Socks5InitialRequestDecoder(), concat(PASSWORD_LAST, rest));
        assertThat(outcome.single(Socks5InitialRequest.class)).isEqualTo(decodeWhole(PASSWORD_LAST));
        assertThat(outcome.forwardedOnRemoval).isEqualTo(rest);
    }

    @Test
    void secondGreetingStaysUndecodedAsLeftover() {
        DecodeOutcome outcome = decode(new Socks5InitialRequestDecoder(), concat(NO_AUTH_ONLY, THREE_METHODS));
        assertThat(outcome.single(Socks5InitialRequest.class)).isEqualTo(decodeWhole(NO_AUTH_ONLY));
        assertThat(outcome.forwardedOnRemoval).isEqualTo(THREE_METHODS);
    }

    @Test
    void leftoverReachesAHandlerThatRemovesTheDecoderOnTheGreeting() {
        byte[] request = commandIpv4(1, bytes(1, 2, 3, 4), 80);
        DecodeOutcome outcome = decode(new Socks5InitialRequestDecoder(),
                List.of(concat(NO_AUTH_ONLY, range(request, 0, 3)), range(request, 3, request.length)), true);
        assertThat(outcome.single(Socks5InitialRequest.class)).isEqualTo(decodeWhole(NO_AUTH_ONLY));
        assertThat(outcome.forwardedOnRemoval).isEqualTo(request);
    }

    // ---- malformed -----------------------------------------------------------------------------

    @Test
    void zeroMethodsIsAnsweredWithNoAcceptableMethod() {
        SocksProtocolException e = decode(new Socks5InitialRequestDecoder(), bytes(5, 0)).failure();
        assertThat(e.errorReply()).isEqualTo(Socks5InitialResponse.NO_ACCEPTABLE_METHOD);
        assertThat(((Socks5InitialResponse) e.errorReply()).method().byteValue()).isEqualTo((byte) 0xFF);
        // with bytes after it (which would otherwise look like methods)
        assertThat(decode(new Socks5InitialRequestDecoder(), bytes(5, 0, 0, 2)).failure().errorReply())
                .isEqualTo(Socks5InitialResponse.NO_ACCEPTABLE_METHOD);
    }

    @Test
    void wrongVersionIsRejectedWithoutAReply() {
        for (int version : new int[] {0, 1, 4, 6, 0x45, 0xFF}) {
            SocksProtocolException e = decode(new Socks5InitialRequestDecoder(), bytes(version)).failure();
            assertThat(e.errorReply()).as("no reply a non-SOCKS5 client would understand").isNull();
            byte[] frame = THREE_METHODS.clone();
            frame[0] = (byte) version;
            assertThat(decode(new Socks5InitialRequestDecoder(), frame).failure().errorReply()).isNull();
        }
    }

    @Test
    void everyMalformedGreetingIsRejectedHoweverSplit() {
        for (byte[] input : List.of(bytes(5, 0, 1, 2, 3), bytes(4, 1, 0), concat(bytes(0x16, 3, 1), new byte[8]))) {
            Object expectedReply = decode(new Socks5InitialRequestDecoder(), input).failure().errorReply();
            for (int cut = 1; cut < input.length; cut++) {
                assertThat(decode(new Socks5InitialRequestDecoder(), splitAt(input, cut)).failure().errorReply())
                        .as("%s cut at %d", hex(input), cut).isEqualTo(expectedReply);
            }
        }
    }

    @Test
    void afterARejectionLaterInputIsDiscarded() {
        DecodeOutcome outcome = decode(new Socks5InitialRequestDecoder(),
                List.of(bytes(5, 0), NO_AUTH_ONLY, THREE_METHODS));
        assertThat(outcome.failure().errorReply()).isEqualTo(Socks5InitialResponse.NO_ACCEPTABLE_METHOD);
        assertThat(outcome.exceptionChunks).containsExactly(0);
    }

    @Test
    void writeInboundRethrowsTheProtocolException() {
        EmbeddedChannel channel = new EmbeddedChannel(new Socks5InitialRequestDecoder());
        try {
            assertThatThrownBy(() -> channel.writeInbound(buffer(bytes(5, 0))))
                    .isInstanceOf(SocksProtocolException.class);
            assertThat(channel.writeInbound(buffer(NO_AUTH_ONLY))).isFalse();
            channel.checkException();
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
