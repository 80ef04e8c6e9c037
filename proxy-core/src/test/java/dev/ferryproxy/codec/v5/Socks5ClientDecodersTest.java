package dev.ferryproxy.codec.v5;

import static dev.ferryproxy.codec.CodecTestSupport.bytes;
import static dev.ferryproxy.codec.CodecTestSupport.concat;
import static dev.ferryproxy.codec.CodecTestSupport.decode;
import static dev.ferryproxy.codec.CodecTestSupport.filled;
import static dev.ferryproxy.codec.CodecTestSupport.hex;
import static dev.ferryproxy.codec.CodecTestSupport.latin1;
import static dev.ferryproxy.codec.CodecTestSupport.oneBytePerChunk;
import static dev.ferryproxy.codec.CodecTestSupport.readableBytesOf;
import static dev.ferryproxy.codec.CodecTestSupport.splitAt;
import static dev.ferryproxy.codec.SocksFrames.ATYP_DOMAIN;
import static dev.ferryproxy.codec.SocksFrames.command;
import static dev.ferryproxy.codec.SocksFrames.commandDomain;
import static dev.ferryproxy.codec.SocksFrames.commandIpv4;
import static dev.ferryproxy.codec.SocksFrames.commandIpv6;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.codec.CodecTestSupport.DecodeOutcome;
import dev.ferryproxy.codec.FramingContract;
import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksAddressType;
import dev.ferryproxy.codec.SocksFrames;
import dev.ferryproxy.codec.SocksProtocolException;
import dev.ferryproxy.codec.UnsupportedAddressTypeException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Supplier;

/**
 * The three SOCKS5 reply decoders a client uses: method selection, RFC 1929 status and the
 * command reply. Replies are written from the RFC (the reply layout is that of the request, with
 * REP for CMD), decoded whole, split everywhere and one byte per read; what follows a reply is
 * kept; malformed replies fail however they are split.
 */
class Socks5ClientDecodersTest {
    private static final byte[] IPV6_DOC = bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd);

    private static final List<byte[]> METHOD_SELECTIONS = List.of(bytes(5, 0), bytes(5, 2), bytes(5, 0xFF), bytes(5, 0x80));
    private static final List<byte[]> LOGIN_REPLIES = List.of(bytes(1, 0), bytes(1, 1), bytes(1, 0xFF));
    private static final List<byte[]> COMMAND_REPLIES = List.of(
            commandIpv4(0, bytes(10, 0, 0, 1), 1080),
            commandIpv6(5, IPV6_DOC, 65535),
            commandDomain(0, latin1("relay.example"), 0x8000),
            commandDomain(0, filled(255, 'r'), 1),
            commandIpv4(0x7F, new byte[4], 0));

    // ---- method selection ------------------------------------------------------------------------

    @Test
    void methodSelectionDecodesAnyMethod() {
        assertThat(decode(new Socks5InitialResponseDecoder(), bytes(5, 0)).single(Socks5InitialResponse.class))
                .isEqualTo(Socks5InitialResponse.NO_AUTH);
        assertThat(decode(new Socks5InitialResponseDecoder(), bytes(5, 0xFF)).single(Socks5InitialResponse.class))
                .isEqualTo(Socks5InitialResponse.NO_ACCEPTABLE_METHOD);
        assertThat(decode(new Socks5InitialResponseDecoder(), bytes(5, 0x80)).single(Socks5InitialResponse.class)
                .method().byteValue()).isEqualTo((byte) 0x80);
        assertFraming(Socks5InitialResponseDecoder::new, Socks5InitialResponse.class, METHOD_SELECTIONS);
        assertRoundTrip(Socks5InitialResponseDecoder::new, Socks5InitialResponse.PASSWORD);
    }

    @Test
    void methodSelectionWithAWrongVersionIsMalformed() {
        for (int version : new int[] {0, 1, 4, 6, 0xFF}) {
            SocksProtocolException e = decode(new Socks5InitialResponseDecoder(), bytes(version, 0)).failure();
            assertThat(e).hasMessageContaining("method selection");
            assertThat(e.errorReply()).isNull();
        }
    }

    // ---- RFC 1929 ------------------------------------------------------------------------------------

    @Test
    void loginReplyDecodesAnyStatus() {
        assertThat(decode(new Socks5PasswordAuthResponseDecoder(), bytes(1, 0)).single(Socks5PasswordAuthResponse.class)
                .isSuccess()).isTrue();
        Socks5PasswordAuthResponse refused = decode(new Socks5PasswordAuthResponseDecoder(), bytes(1, 2))
                .single(Socks5PasswordAuthResponse.class);
        assertThat(refused.isSuccess()).isFalse();
        assertThat(refused.status()).isEqualTo((byte) 2);
        assertFraming(Socks5PasswordAuthResponseDecoder::new, Socks5PasswordAuthResponse.class, LOGIN_REPLIES);
        assertRoundTrip(Socks5PasswordAuthResponseDecoder::new, Socks5PasswordAuthResponse.FAILURE);
    }

    @Test
    void loginReplyVersionMustBe1() {
        for (int version : new int[] {0, 2, 5, 0xFF}) {
            assertThat(decode(new Socks5PasswordAuthResponseDecoder(), bytes(version, 0)).failure())
                    .hasMessageContaining("username/password reply");
        }
    }

    // ---- command reply -----------------------------------------------------------------------------

    @Test
    void commandReplyForEveryAddressType() {
        Socks5CommandResponse v4 = decodeReply(COMMAND_REPLIES.get(0));
        assertThat(v4).isEqualTo(new Socks5CommandResponse(Socks5CommandStatus.SUCCESS,
                SocksAddress.ipv4(bytes(10, 0, 0, 1), 1080)));
        Socks5CommandResponse v6 = decodeReply(COMMAND_REPLIES.get(1));
        assertThat(v6.status()).isEqualTo(Socks5CommandStatus.CONNECTION_REFUSED);
        assertThat(v6.bnd().type()).isEqualTo(SocksAddressType.IPV6);
        assertThat(v6.bnd().inetAddress().getAddress()).isEqualTo(IPV6_DOC);
        assertThat(v6.bnd().port()).isEqualTo(65535);
        assertThat(decodeReply(COMMAND_REPLIES.get(2)).bnd()).isEqualTo(SocksAddress.domain("relay.example", 0x8000));
        assertThat(decodeReply(COMMAND_REPLIES.get(3)).bnd().host()).hasSize(255);
        assertThat(decodeReply(COMMAND_REPLIES.get(4)).status().byteValue()).isEqualTo((byte) 0x7F);
        for (int port : SocksFrames.EDGE_PORTS) {
            assertThat(decodeReply(commandIpv4(0, bytes(1, 2, 3, 4), port)).bnd().port()).isEqualTo(port);
        }
        assertFraming(Socks5CommandResponseDecoder::new, Socks5CommandResponse.class, COMMAND_REPLIES);
        assertRoundTrip(Socks5CommandResponseDecoder::new,
                new Socks5CommandResponse(Socks5CommandStatus.SUCCESS, SocksAddress.ipv6(IPV6_DOC, 443)));
        assertRoundTrip(Socks5CommandResponseDecoder::new, Socks5CommandResponse.failure(Socks5CommandStatus.FORBIDDEN));
    }

    @Test
    void reservedByteIsIgnored() {
        assertThat(decodeReply(command(0, 0xFF, SocksFrames.ATYP_IPV4, bytes(1, 2, 3, 4), 80)))
                .isEqualTo(decodeReply(commandIpv4(0, bytes(1, 2, 3, 4), 80)));
    }

    @Test
    void bytesBehindTheReplyAreKeptForTheNextHandler() {
        byte[] payload = concat(latin1("HTTP/1.1 200 OK\r\n"), filled(200, 0x5A));
        for (byte[] reply : COMMAND_REPLIES) {
            byte[] input = concat(reply, payload);
            for (int cut = 1; cut < input.length; cut += 11) {
                DecodeOutcome outcome = decode(new Socks5CommandResponseDecoder(), splitAt(input, cut));
                assertThat(outcome.single(Socks5CommandResponse.class)).isEqualTo(decodeReply(reply));
                assertThat(outcome.forwardedOnRemoval).as("%s cut at %d", hex(reply), cut).isEqualTo(payload);
            }
            assertThat(decode(new Socks5CommandResponseDecoder(), oneBytePerChunk(input), true).forwardedOnRemoval)
                    .isEqualTo(payload);
        }
    }

    @Test
    void malformedRepliesFailHoweverSplit() {
        List<byte[]> malformed = List.of(
                commandIpv4(0, bytes(1, 2, 3, 4), 80).clone(),
                command(0, 0, 0x02, bytes(1, 2, 3, 4), 80),
                command(0, 0, 0x00, bytes(1, 2, 3, 4), 80),
                bytes(5, 0, 0, ATYP_DOMAIN, 0, 0, 80));
        malformed.get(0)[0] = 4; // wrong version
        for (byte[] input : malformed) {
            decode(new Socks5CommandResponseDecoder(), input).failure();
            for (int cut = 1; cut < input.length; cut++) {
                SocksProtocolException e = decode(new Socks5CommandResponseDecoder(), splitAt(input, cut)).failure();
                assertThat(e.errorReply()).as("%s cut at %d", hex(input), cut).isNull();
            }
        }
        assertThat(decode(new Socks5CommandResponseDecoder(), command(0, 0, 0x07, new byte[4], 80)).failure())
                .isInstanceOf(UnsupportedAddressTypeException.class);
    }

    // ---- helpers -------------------------------------------------------------------------------------

    private static Socks5CommandResponse decodeReply(byte[] frame) {
        return decode(new Socks5CommandResponseDecoder(), frame).single(Socks5CommandResponse.class);
    }

    private static <T> void assertFraming(Supplier<? extends ChannelHandler> decoder, Class<T> type, List<byte[]> frames) {
        FramingContract.assertDecodesTheSameSplitAtEveryBoundary(decoder, type, frames);
        FramingContract.assertDecodesOnTheLastByteOneBytePerWrite(decoder, type, frames);
        FramingContract.assertEveryStrictPrefixIsIncompleteAndHeldWhole(decoder, frames);
    }

    /** What Ferry's server encoder writes, the client decoder reads back as the same message. */
    private static void assertRoundTrip(Supplier<? extends ChannelHandler> decoder, Object message) {
        ByteBuf out = Unpooled.buffer();
        byte[] encoded;
        try {
            Socks5ServerEncoder.encode(message, out);
            encoded = readableBytesOf(out);
        } finally {
            out.release();
        }
        assertThat(decode(decoder.get(), encoded).single(message.getClass())).isEqualTo(message);
    }
}
