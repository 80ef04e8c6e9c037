package dev.ferryproxy.codec.v4;

import static dev.ferryproxy.codec.CodecTestSupport.bytes;
import static dev.ferryproxy.codec.CodecTestSupport.concat;
import static dev.ferryproxy.codec.CodecTestSupport.decode;
import static dev.ferryproxy.codec.CodecTestSupport.filled;
import static dev.ferryproxy.codec.CodecTestSupport.hex;
import static dev.ferryproxy.codec.CodecTestSupport.oneBytePerChunk;
import static dev.ferryproxy.codec.CodecTestSupport.port;
import static dev.ferryproxy.codec.CodecTestSupport.splitAt;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.codec.CodecTestSupport.DecodeOutcome;
import dev.ferryproxy.codec.FramingContract;
import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksFrames;
import dev.ferryproxy.codec.SocksProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.util.List;

class Socks4ClientDecoderTest {
    private static final byte[] GRANTED = bytes(0, 90, 0x1F, 0x90, 10, 1, 2, 3);
    private static final byte[] REJECTED = bytes(0, 91, 0, 0, 0, 0, 0, 0);
    private static final byte[] IDENTD = bytes(0, 92, 0xFF, 0xFF, 255, 255, 255, 255);
    private static final byte[] IDENTD_MISMATCH = bytes(0, 93, 0x80, 0x00, 127, 0, 0, 1);
    private static final List<byte[]> VALID_FRAMES = List.of(GRANTED, REJECTED, IDENTD, IDENTD_MISMATCH);

    private static Socks4CommandResponse decodeWhole(byte[] frame) {
        return decode(new Socks4ClientDecoder(), frame).single(Socks4CommandResponse.class);
    }

    @Test
    void decodesEveryStatusWithItsAddress() {
        assertThat(decodeWhole(GRANTED)).isEqualTo(new Socks4CommandResponse(Socks4CommandStatus.SUCCESS,
                SocksAddress.ipv4(bytes(10, 1, 2, 3), 8080)));
        assertThat(decodeWhole(REJECTED)).isEqualTo(Socks4CommandResponse.rejected());
        assertThat(decodeWhole(IDENTD).status()).isEqualTo(Socks4CommandStatus.IDENTD_UNREACHABLE);
        assertThat(decodeWhole(IDENTD_MISMATCH).status()).isEqualTo(Socks4CommandStatus.IDENTD_AUTH_FAILURE);
    }

    @Test
    void portsAreFullUnsigned16Bit() {
        for (int p : SocksFrames.EDGE_PORTS) {
            assertThat(decodeWhole(concat(bytes(0, 90), port(p), bytes(1, 2, 3, 4))).bound().port()).isEqualTo(p);
        }
    }

    @Test
    void roundTripsWhatTheServerEncoderWrites() {
        for (Socks4CommandResponse response : List.of(Socks4CommandResponse.rejected(),
                new Socks4CommandResponse(Socks4CommandStatus.SUCCESS, SocksAddress.ipv4(bytes(192, 0, 2, 9), 65535)))) {
            ByteBuf out = Unpooled.buffer();
            Socks4ServerEncoder.encode(response, out);
            byte[] encoded = new byte[out.readableBytes()];
            out.readBytes(encoded).release();
            assertThat(decodeWhole(encoded)).isEqualTo(response);
        }
    }

    @Test
    void decodesSplitAtEveryBoundaryOnlyOnTheLastByteAndHoldsPrefixesWhole() {
        FramingContract.assertDecodesTheSameSplitAtEveryBoundary(Socks4ClientDecoder::new, Socks4CommandResponse.class,
                VALID_FRAMES);
        FramingContract.assertDecodesOnTheLastByteOneBytePerWrite(Socks4ClientDecoder::new,
                Socks4CommandResponse.class, VALID_FRAMES);
        FramingContract.assertEveryStrictPrefixIsIncompleteAndHeldWhole(Socks4ClientDecoder::new, VALID_FRAMES);
    }

    @Test
    void bytesBehindTheReplyAreKeptForTheNextHandler() {
        byte[] payload = concat(bytes(0x16, 3, 1), filled(100, 0xAB));
        byte[] input = concat(GRANTED, payload);
        for (int cut = 1; cut < input.length; cut += 5) {
            DecodeOutcome outcome = decode(new Socks4ClientDecoder(), splitAt(input, cut));
            assertThat(outcome.single(Socks4CommandResponse.class)).isEqualTo(decodeWhole(GRANTED));
            assertThat(outcome.forwardedWhileInPipeline).isEmpty();
            assertThat(outcome.forwardedOnRemoval).as("cut at %d", cut).isEqualTo(payload);
        }
        assertThat(decode(new Socks4ClientDecoder(), oneBytePerChunk(input), true).forwardedOnRemoval).isEqualTo(payload);
    }

    @Test
    void replyVersionMustBeZero() {
        for (int vn : new int[] {4, 5, 1, 0x7F, 0xFF}) {
            byte[] frame = GRANTED.clone();
            frame[0] = (byte) vn;
            SocksProtocolException e = decode(new Socks4ClientDecoder(), frame).failure();
            assertThat(e).hasMessageContaining("version").hasMessageContaining(String.format("0x%02x", vn));
            assertThat(e.errorReply()).as("a client has nothing to answer").isNull();
            decode(new Socks4ClientDecoder(), bytes(vn)).failure();
        }
    }

    @Test
    void unknownReplyCodeIsMalformedHoweverSplit() {
        for (int cd : new int[] {0, 1, 89, 94, 0xFF}) {
            byte[] frame = concat(bytes(0, cd), port(80), bytes(1, 2, 3, 4));
            for (int cut = 1; cut < frame.length; cut++) {
                assertThat(decode(new Socks4ClientDecoder(), splitAt(frame, cut)).failure())
                        .as("%s cut at %d", hex(frame), cut).hasMessageContaining("reply code " + cd);
            }
        }
    }
}
