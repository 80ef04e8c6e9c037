package dev.ferryproxy.codec.v4;

import static dev.ferryproxy.codec.CodecTestSupport.buffer;
import static dev.ferryproxy.codec.CodecTestSupport.bytes;
import static dev.ferryproxy.codec.CodecTestSupport.concat;
import static dev.ferryproxy.codec.CodecTestSupport.decode;
import static dev.ferryproxy.codec.CodecTestSupport.filled;
import static dev.ferryproxy.codec.CodecTestSupport.hex;
import static dev.ferryproxy.codec.CodecTestSupport.latin1;
import static dev.ferryproxy.codec.CodecTestSupport.range;
import static dev.ferryproxy.codec.CodecTestSupport.readableBytesOf;
import static dev.ferryproxy.codec.CodecTestSupport.splitAt;
import static dev.ferryproxy.codec.SocksFrames.EDGE_PORTS;
import static dev.ferryproxy.codec.SocksFrames.socks4;
import static dev.ferryproxy.codec.SocksFrames.socks4a;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.codec.FramingContract;
import dev.ferryproxy.codec.CodecTestSupport.DecodeOutcome;
import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksAddressType;
import dev.ferryproxy.codec.SocksProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.List;

class Socks4ServerDecoderTest {
    private static final byte[] IP = bytes(192, 168, 1, 2);
    private static final byte[] CONNECT_FRED = socks4(1, 80, IP, latin1("fred"));
    private static final byte[] BIND_NO_USER = socks4(2, 8080, bytes(10, 0, 0, 1), new byte[0]);
    private static final byte[] SOCKS4A = socks4a(1, 443, 1, latin1("alice"), latin1("example.com"));
    private static final byte[] SOCKS4A_NO_USER = socks4a(1, 443, 0xFF, new byte[0], latin1("a"));

    private static final List<byte[]> VALID_FRAMES = List.of(CONNECT_FRED, BIND_NO_USER, SOCKS4A, SOCKS4A_NO_USER,
            socks4(1, 65535, bytes(255, 255, 255, 255), filled(255, 'u')),
            socks4a(2, 0, 7, filled(255, 'u'), filled(255, 'h')));

    private static Socks4CommandRequest decodeWhole(byte[] frame) {
        return decode(new Socks4ServerDecoder(), frame).single(Socks4CommandRequest.class);
    }

    private static SocksProtocolException rejection(byte[] input) {
        SocksProtocolException e = decode(new Socks4ServerDecoder(), input).failure();
        assertThat(e.errorReply()).isEqualTo(Socks4CommandResponse.rejected());
        return e;
    }

    // ---- valid frames --------------------------------------------------------------------------

    @Test
    void decodesSocks4Connect() {
        Socks4CommandRequest request = decodeWhole(CONNECT_FRED);
        assertThat(request.type()).isEqualTo(Socks4CommandType.CONNECT);
        assertThat(request.dst().type()).isEqualTo(SocksAddressType.IPV4);
        assertThat(request.dst().host()).isEqualTo("192.168.1.2");
        assertThat(request.dst().inetAddress().getAddress()).isEqualTo(IP);
        assertThat(request.dst().port()).isEqualTo(80);
        assertThat(request.userId()).isEqualTo("fred");
        assertThat(request.isSocks4a()).isFalse();
    }

    @Test
    void decodesSocks4BindWithEmptyUserId() {
        Socks4CommandRequest request = decodeWhole(BIND_NO_USER);
        assertThat(request).isEqualTo(new Socks4CommandRequest(Socks4CommandType.BIND,
                SocksAddress.ipv4(bytes(10, 0, 0, 1), 8080), ""));
    }

    @Test
    void decodesSocks4aConnect() {
        Socks4CommandRequest request = decodeWhole(SOCKS4A);
        assertThat(request.isSocks4a()).isTrue();
        assertThat(request.dst().type()).isEqualTo(SocksAddressType.DOMAIN);
        assertThat(request.dst().host()).isEqualTo("example.com");
        assertThat(request.dst().port()).isEqualTo(443);
        assertThat(request.userId()).isEqualTo("alice");
    }

    @Test
    void decodesSocks4aWithOneByteHostAndEmptyUserId() {
        assertThat(decodeWhole(SOCKS4A_NO_USER)).isEqualTo(new Socks4CommandRequest(Socks4CommandType.CONNECT,
                SocksAddress.domain("a", 443), ""));
    }

    @Test
    void userIdAndHostBytesAreKeptLosslessly() {
        byte[] userId = bytes(0x80, 0xE9, 0xFF, 0x01, 0x7F);
        byte[] host = bytes(0xC3, 0xA9, 0x2E, 0xFF, 0x20);
        Socks4CommandRequest request = decodeWhole(socks4a(1, 1, 1, userId, host));
        assertThat(latin1(request.userId())).isEqualTo(userId);
        assertThat(latin1(request.dst().host())).isEqualTo(host);
    }

    // ---- splitting and pipelining --------------------------------------------------------------

    @Test
    void decodesEveryFrameSplitAtEveryByteBoundary() {
        FramingContract.assertDecodesTheSameSplitAtEveryBoundary(Socks4ServerDecoder::new, Socks4CommandRequest.class, VALID_FRAMES);
    }

    @Test
    void decodesEveryFrameOneBytePerWriteOnlyAfterItsLastByte() {
        FramingContract.assertDecodesOnTheLastByteOneBytePerWrite(Socks4ServerDecoder::new, Socks4CommandRequest.class, VALID_FRAMES);
    }

    @Test
    void everyStrictPrefixIsIncompleteAndHeldWhole() {
        FramingContract.assertEveryStrictPrefixIsIncompleteAndHeldWhole(Socks4ServerDecoder::new, VALID_FRAMES);
    }

    @Test
    void payloadPipelinedAfterTheRequestIsKeptAndForwardedOnRemoval() {
        byte[] payload = latin1("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
        for (byte[] frame : List.of(CONNECT_FRED, SOCKS4A)) {
            byte[] input = concat(frame, payload);
            for (int cut = 1; cut < input.length; cut++) {
                DecodeOutcome outcome = decode(new Socks4ServerDecoder(), splitAt(input, cut));
                assertThat(outcome.single(Socks4CommandRequest.class)).isEqualTo(decodeWhole(frame));
                assertThat(outcome.forwardedWhileInPipeline).as("held while the decoder is in the pipeline").isEmpty();
                assertThat(outcome.forwardedOnRemoval).as("cut at %d", cut).isEqualTo(payload);
            }
        }
    }

    @Test
    void secondPipelinedRequestStaysUndecodedAsLeftover() {
        byte[] input = concat(CONNECT_FRED, SOCKS4A);
        DecodeOutcome outcome = decode(new Socks4ServerDecoder(), input);
        assertThat(outcome.single(Socks4CommandRequest.class)).isEqualTo(decodeWhole(CONNECT_FRED));
        assertThat(outcome.forwardedOnRemoval).isEqualTo(SOCKS4A);
        assertThat(outcome.buffersOnRemoval).as("forwarded as one ByteBuf").isEqualTo(1);
    }

    @Test
    void bytesArrivingAfterTheRequestAreHeldUntilRemoval() {
        byte[] later = bytes(0, 1, 2, 0xFF, 4);
        DecodeOutcome outcome = decode(new Socks4ServerDecoder(), List.of(CONNECT_FRED, later, later));
        assertThat(outcome.single(Socks4CommandRequest.class)).isEqualTo(decodeWhole(CONNECT_FRED));
        assertThat(outcome.forwardedWhileInPipeline).isEmpty();
        assertThat(outcome.forwardedOnRemoval).isEqualTo(concat(later, later));
    }

    @Test
    void leftoverReachesAHandlerThatRemovesTheDecoderOnTheRequest() {
        byte[] payload = bytes(0x16, 0x03, 0x01, 0x02, 0x00);
        DecodeOutcome outcome = decode(new Socks4ServerDecoder(), List.of(concat(SOCKS4A, payload)), true);
        assertThat(outcome.single(Socks4CommandRequest.class)).isEqualTo(decodeWhole(SOCKS4A));
        assertThat(outcome.forwardedOnRemoval).isEqualTo(payload);
    }

    // ---- pitfalls ------------------------------------------------------------------------------

    @Test
    void port65535() {
        assertThat(decodeWhole(socks4(1, 65535, IP, new byte[0])).dst().port()).isEqualTo(65535);
    }

    @Test
    void portsAreFullUnsigned16Bit() {
        for (int port : EDGE_PORTS) {
            assertThat(decodeWhole(socks4(1, port, IP, new byte[0])).dst().port()).isEqualTo(port);
            assertThat(decodeWhole(socks4a(1, port, 1, new byte[0], latin1("h"))).dst().port()).isEqualTo(port);
        }
        assertThat(decodeWhole(concat(bytes(4, 1, 0x80, 0x00), IP, bytes(0))).dst().port()).isEqualTo(0x8000);
        assertThat(decodeWhole(concat(bytes(4, 1, 0x01, 0x00), IP, bytes(0))).dst().port()).isEqualTo(256);
    }

    @Test
    void userIdOf255BytesIsAccepted() {
        byte[] userId = filled(255, 'u');
        assertThat(decodeWhole(socks4(1, 80, IP, userId)).userId()).isEqualTo(latin1(userId));
        // also when its NUL arrives last, after the decoder has seen all 255 bytes
        byte[] frame = socks4(1, 80, IP, userId);
        DecodeOutcome outcome = decode(new Socks4ServerDecoder(), splitAt(frame, frame.length - 1));
        assertThat(outcome.single(Socks4CommandRequest.class).userId()).hasSize(255);
    }

    @Test
    void userIdOf256BytesIsRejected() {
        rejection(socks4(1, 80, IP, filled(256, 'u')));
    }

    @Test
    void userIdOf256BytesIsRejectedBeforeItsNulArrives() {
        byte[] input = concat(bytes(4, 1, 0, 80), IP, filled(256, 'u'));
        rejection(input);
        // 255 bytes without NUL: may still end, so nothing yet
        byte[] shorter = concat(bytes(4, 1, 0, 80), IP, filled(255, 'u'));
        decode(new Socks4ServerDecoder(), shorter).assertIncomplete(shorter);
    }

    @Test
    void socks4aHostOf255BytesIsAccepted() {
        byte[] host = filled(255, 'h');
        Socks4CommandRequest request = decodeWhole(socks4a(1, 80, 1, latin1("u"), host));
        assertThat(request.dst().host()).isEqualTo(latin1(host));
    }

    @Test
    void socks4aHostOf256BytesIsRejected() {
        rejection(socks4a(1, 80, 1, latin1("u"), filled(256, 'h')));
        rejection(concat(bytes(4, 1, 0, 80, 0, 0, 0, 1), latin1("u"), bytes(0), filled(256, 'h')));
        byte[] shorter = concat(bytes(4, 1, 0, 80, 0, 0, 0, 1), latin1("u"), bytes(0), filled(255, 'h'));
        decode(new Socks4ServerDecoder(), shorter).assertIncomplete(shorter);
    }

    @Test
    void emptySocks4aHostIsRejected() {
        rejection(socks4a(1, 80, 1, latin1("u"), new byte[0]));
        rejection(socks4a(1, 80, 1, new byte[0], new byte[0]));
    }

    @Test
    void socks4aMarkerIsZeroZeroZeroNonZero() {
        for (int x : new int[] {1, 2, 0x7F, 0x80, 0xFF}) {
            Socks4CommandRequest request = decodeWhole(socks4a(1, 80, x, new byte[0], latin1("example.org")));
            assertThat(request.isSocks4a()).as("0.0.0.%d", x).isTrue();
            assertThat(request.dst()).isEqualTo(SocksAddress.domain("example.org", 80));
        }
    }

    @Test
    void plainZeroAddressIsSocks4ToZeroZeroZeroZeroNotSocks4a() {
        byte[] frame = socks4(1, 80, bytes(0, 0, 0, 0), latin1("u"));
        byte[] hostLike = concat(latin1("example.org"), bytes(0));
        DecodeOutcome outcome = decode(new Socks4ServerDecoder(), concat(frame, hostLike));
        Socks4CommandRequest request = outcome.single(Socks4CommandRequest.class);
        assertThat(request.isSocks4a()).isFalse();
        assertThat(request.dst()).isEqualTo(SocksAddress.ipv4(bytes(0, 0, 0, 0), 80));
        assertThat(request.dst().host()).isEqualTo("0.0.0.0");
        assertThat(outcome.forwardedOnRemoval).as("no host name is read for 0.0.0.0").isEqualTo(hostLike);
    }

    @Test
    void addressesThatOnlyLookLikeTheMarkerArePlainSocks4() {
        for (byte[] ip : List.of(bytes(0, 0, 1, 0), bytes(0, 1, 0, 1), bytes(1, 0, 0, 1), bytes(0, 0, 1, 1))) {
            Socks4CommandRequest request = decodeWhole(socks4(1, 80, ip, new byte[0]));
            assertThat(request.isSocks4a()).as(hex(ip)).isFalse();
            assertThat(request.dst().inetAddress().getAddress()).isEqualTo(ip);
        }
    }

    // ---- malformed -----------------------------------------------------------------------------

    @Test
    void unknownVersionIsRejectedOnItsFirstByte() {
        for (int version : new int[] {0, 1, 3, 5, 0x44, 0xFF}) {
            rejection(bytes(version));
            byte[] frame = CONNECT_FRED.clone();
            frame[0] = (byte) version;
            rejection(frame);
        }
    }

    @Test
    void unknownCommandIsRejected() {
        for (int cd : new int[] {0, 3, 4, 0x5A, 0x80, 0xFF}) {
            SocksProtocolException e = rejection(bytes(4, cd));
            assertThat(e).hasMessageContaining("command");
            rejection(socks4(cd, 80, IP, latin1("fred")));
        }
    }

    @Test
    void rejectionReplyIs91WithUnspecifiedAddress() {
        SocksProtocolException e = rejection(bytes(4, 9));
        Socks4CommandResponse reply = (Socks4CommandResponse) e.errorReply();
        assertThat(reply.status()).isEqualTo(Socks4CommandStatus.REJECTED_OR_FAILED);
        assertThat(reply.status().byteValue()).isEqualTo((byte) 91);
        assertThat(reply.bound()).isEqualTo(SocksAddress.ipv4(new byte[4], 0));
    }

    @Test
    void everyMalformedRequestIsRejectedHoweverSplit() {
        List<byte[]> malformed = List.of(
                concat(bytes(5), range(CONNECT_FRED, 1, CONNECT_FRED.length)),
                socks4(3, 80, IP, latin1("fred")),
                socks4(1, 80, IP, filled(256, 'u')),
                socks4a(1, 80, 1, latin1("u"), filled(256, 'h')),
                socks4a(1, 80, 1, latin1("u"), new byte[0]));
        for (byte[] input : malformed) {
            for (int cut = 1; cut < input.length; cut++) {
                SocksProtocolException e = decode(new Socks4ServerDecoder(), splitAt(input, cut)).failure();
                assertThat(e.errorReply()).as("%s cut at %d", hex(input), cut).isEqualTo(Socks4CommandResponse.rejected());
            }
        }
    }

    @Test
    void afterARejectionLaterInputIsDiscarded() {
        byte[] bad = socks4(3, 80, IP, latin1("fred"));
        DecodeOutcome outcome = decode(new Socks4ServerDecoder(), List.of(bad, CONNECT_FRED, bytes(1, 2, 3)));
        assertThat(outcome.failure().errorReply()).isEqualTo(Socks4CommandResponse.rejected());
        assertThat(outcome.exceptionChunks).containsExactly(0);
        assertThat(outcome.messages).as("a valid request after the fault is not decoded").isEmpty();
        assertThat(outcome.leftover()).isEmpty();
    }

    @Test
    void writeInboundRethrowsTheProtocolExceptionWithoutALaterHandler() {
        EmbeddedChannel channel = new EmbeddedChannel(new Socks4ServerDecoder());
        try {
            assertThatThrownBy(() -> channel.writeInbound(buffer(bytes(4, 0x10, 0, 80))))
                    .isInstanceOf(SocksProtocolException.class)
                    .satisfies(e -> assertThat(((SocksProtocolException) e).errorReply())
                            .isEqualTo(Socks4CommandResponse.rejected()));
            assertThat(channel.writeInbound(buffer(CONNECT_FRED))).as("discarded").isFalse();
            channel.checkException();
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void decodedRequestReachesTheInboundQueueAndLeftoverFollowsOnRemoval() {
        Socks4ServerDecoder decoder = new Socks4ServerDecoder();
        EmbeddedChannel channel = new EmbeddedChannel(decoder);
        try {
            assertThat(channel.writeInbound(buffer(concat(CONNECT_FRED, bytes(9, 8, 7))))).isTrue();
            assertThat(channel.<Object>readInbound()).isEqualTo(decodeWhole(CONNECT_FRED));
            assertThat(channel.<Object>readInbound()).isNull();
            channel.pipeline().remove(decoder);
            ByteBuf leftover = channel.readInbound();
            try {
                assertThat(leftover).isNotNull();
                assertThat(readableBytesOf(leftover)).isEqualTo(bytes(9, 8, 7));
            } finally {
                leftover.release();
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
