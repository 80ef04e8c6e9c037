package dev.ferryproxy.codec.v5;

import static dev.ferryproxy.codec.CodecTestSupport.buffer;
import static dev.ferryproxy.codec.CodecTestSupport.bytes;
import static dev.ferryproxy.codec.CodecTestSupport.concat;
import static dev.ferryproxy.codec.CodecTestSupport.decode;
import static dev.ferryproxy.codec.CodecTestSupport.filled;
import static dev.ferryproxy.codec.CodecTestSupport.hex;
import static dev.ferryproxy.codec.CodecTestSupport.latin1;
import static dev.ferryproxy.codec.CodecTestSupport.splitAt;
import static dev.ferryproxy.codec.SocksFrames.commandDomain;
import static dev.ferryproxy.codec.SocksFrames.passwordAuth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.codec.FramingContract;
import dev.ferryproxy.codec.CodecTestSupport.DecodeOutcome;
import dev.ferryproxy.codec.SocksProtocolException;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

class Socks5PasswordAuthRequestDecoderTest {
    private static final byte[] USER_PASS = passwordAuth(latin1("user"), latin1("secret"));
    private static final byte[] ONE_ONE = passwordAuth(latin1("u"), latin1("p"));
    private static final byte[] MAX_MAX = passwordAuth(filled(255, 'U'), filled(255, 'P'));
    private static final byte[] BINARY = passwordAuth(bytes(0x00, 0xFF, 0x80, 0x01), bytes(0xC3, 0x28, 0x00, 0x7F));

    private static final List<byte[]> VALID_FRAMES = List.of(USER_PASS, ONE_ONE, MAX_MAX, BINARY);

    private static Socks5PasswordAuthRequest decodeWhole(byte[] frame) {
        return decode(new Socks5PasswordAuthRequestDecoder(), frame).single(Socks5PasswordAuthRequest.class);
    }

    private static void assertRejected(byte[] input) {
        SocksProtocolException e = decode(new Socks5PasswordAuthRequestDecoder(), input).failure();
        assertThat(e.errorReply()).isEqualTo(Socks5PasswordAuthResponse.FAILURE);
    }

    // ---- valid frames --------------------------------------------------------------------------

    @Test
    void decodesUsernameAndPassword() {
        Socks5PasswordAuthRequest request = decodeWhole(USER_PASS);
        assertThat(request.username()).isEqualTo(latin1("user"));
        assertThat(request.password()).isEqualTo(latin1("secret"));
        assertThat(request.usernameString()).isEqualTo("user");
        assertThat(request.toString()).doesNotContain("secret");
    }

    @Test
    void decodesOneByteFields() {
        assertThat(decodeWhole(ONE_ONE)).isEqualTo(new Socks5PasswordAuthRequest(latin1("u"), latin1("p")));
    }

    @Test
    void decodes255ByteFields() {
        Socks5PasswordAuthRequest request = decodeWhole(MAX_MAX);
        assertThat(request.username()).isEqualTo(filled(255, 'U'));
        assertThat(request.password()).isEqualTo(filled(255, 'P'));
    }

    @Test
    void fieldsAreOpaqueBytesIncludingNulAndInvalidUtf8() {
        Socks5PasswordAuthRequest request = decodeWhole(BINARY);
        assertThat(request.username()).isEqualTo(bytes(0x00, 0xFF, 0x80, 0x01));
        assertThat(request.password()).isEqualTo(bytes(0xC3, 0x28, 0x00, 0x7F));
        byte[] utf8 = "Zoë".getBytes(StandardCharsets.UTF_8);
        assertThat(decodeWhole(passwordAuth(utf8, utf8)).usernameString()).isEqualTo("Zoë");
    }

    @Test
    void lengthsAreUnsigned() {
        // 0x80..0xFF as lengths: a signed read would make them negative
        for (int length : new int[] {0x7F, 0x80, 0xC8, 0xFF}) {
            Socks5PasswordAuthRequest request = decodeWhole(passwordAuth(filled(length, 'a'), filled(length, 'b')));
            assertThat(request.username()).hasSize(length);
            assertThat(request.password()).hasSize(length);
        }
    }

    // ---- splitting and pipelining --------------------------------------------------------------

    @Test
    void decodesEveryFrameSplitAtEveryByteBoundary() {
        FramingContract.assertDecodesTheSameSplitAtEveryBoundary(Socks5PasswordAuthRequestDecoder::new, Socks5PasswordAuthRequest.class, VALID_FRAMES);
    }

    @Test
    void decodesEveryFrameOneBytePerWriteOnlyAfterItsLastByte() {
        FramingContract.assertDecodesOnTheLastByteOneBytePerWrite(Socks5PasswordAuthRequestDecoder::new, Socks5PasswordAuthRequest.class, VALID_FRAMES);
    }

    @Test
    void everyStrictPrefixIsIncompleteAndHeldWhole() {
        FramingContract.assertEveryStrictPrefixIsIncompleteAndHeldWhole(Socks5PasswordAuthRequestDecoder::new, VALID_FRAMES);
    }

    @Test
    void requestPipelinedAfterTheAuthIsKeptAndForwardedOnRemoval() {
        byte[] request = commandDomain(1, latin1("example.com"), 443);
        byte[] input = concat(USER_PASS, request);
        for (int cut = 1; cut < input.length; cut++) {
            DecodeOutcome outcome = decode(new Socks5PasswordAuthRequestDecoder(), splitAt(input, cut));
            assertThat(outcome.single(Socks5PasswordAuthRequest.class)).isEqualTo(decodeWhole(USER_PASS));
            assertThat(outcome.forwardedWhileInPipeline).isEmpty();
            assertThat(outcome.forwardedOnRemoval).as("cut at %d", cut).isEqualTo(request);
        }
    }

    @Test
    void secondAuthStaysUndecodedAsLeftover() {
        DecodeOutcome outcome = decode(new Socks5PasswordAuthRequestDecoder(), concat(ONE_ONE, USER_PASS));
        assertThat(outcome.single(Socks5PasswordAuthRequest.class)).isEqualTo(decodeWhole(ONE_ONE));
        assertThat(outcome.forwardedOnRemoval).isEqualTo(USER_PASS);
    }

    @Test
    void leftoverReachesAHandlerThatRemovesTheDecoderOnTheAuth() {
        byte[] request = commandDomain(1, latin1("h"), 1);
        DecodeOutcome outcome = decode(new Socks5PasswordAuthRequestDecoder(), List.of(concat(BINARY, request)), true);
        assertThat(outcome.single(Socks5PasswordAuthRequest.class)).isEqualTo(decodeWhole(BINARY));
        assertThat(outcome.forwardedOnRemoval).isEqualTo(request);
    }

    // ---- malformed -----------------------------------------------------------------------------

    @Test
    void wrongSubnegotiationVersionIsAnsweredWithFailure() {
        for (int version : new int[] {0, 2, 4, 5, 0xFF}) {
            assertRejected(bytes(version));
            byte[] frame = USER_PASS.clone();
            frame[0] = (byte) version;
            assertRejected(frame);
        }
    }

    @Test
    void emptyUsernameIsAnsweredWithFailure() {
        assertRejected(bytes(1, 0));
        assertRejected(bytes(1, 0, 1, 'p'));
    }

    @Test
    void emptyPasswordIsAnsweredWithFailureAsSoonAsPlenArrives() {
        assertRejected(bytes(1, 1, 'u', 0));
        assertRejected(concat(bytes(1, 4), latin1("user"), bytes(0), latin1("more")));
    }

    @Test
    void failureReplyIsVersion1Status1() {
        SocksProtocolException e = decode(new Socks5PasswordAuthRequestDecoder(), bytes(1, 0)).failure();
        Socks5PasswordAuthResponse reply = (Socks5PasswordAuthResponse) e.errorReply();
        assertThat(reply.status()).isEqualTo((byte) 0x01);
        assertThat(reply.isSuccess()).isFalse();
    }

    @Test
    void everyMalformedAuthIsRejectedHoweverSplit() {
        for (byte[] input : List.of(bytes(1, 0, 1, 'p'), bytes(1, 2, 'u', 'v', 0, 'x'), bytes(5, 1, 0), bytes(2, 1, 'u', 1, 'p'))) {
            for (int cut = 1; cut < input.length; cut++) {
                SocksProtocolException e = decode(new Socks5PasswordAuthRequestDecoder(), splitAt(input, cut)).failure();
                assertThat(e.errorReply()).as("%s cut at %d", hex(input), cut).isEqualTo(Socks5PasswordAuthResponse.FAILURE);
            }
        }
    }

    @Test
    void afterARejectionLaterInputIsDiscarded() {
        DecodeOutcome outcome = decode(new Socks5PasswordAuthRequestDecoder(), List.of(bytes(1, 0), USER_PASS, ONE_ONE));
        assertThat(outcome.failure().errorReply()).isEqualTo(Socks5PasswordAuthResponse.FAILURE);
        assertThat(outcome.exceptionChunks).containsExactly(0);
    }

    @Test
    void writeInboundRethrowsTheProtocolException() {
        EmbeddedChannel channel = new EmbeddedChannel(new Socks5PasswordAuthRequestDecoder());
        try {
            assertThatThrownBy(() -> channel.writeInbound(buffer(bytes(1, 1, 'u', 0))))
                    .isInstanceOf(SocksProtocolException.class);
            assertThat(channel.writeInbound(buffer(USER_PASS))).isFalse();
            channel.checkException();
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
