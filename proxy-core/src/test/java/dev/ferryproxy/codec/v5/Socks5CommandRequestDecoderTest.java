package dev.ferryproxy.codec.v5;

import static dev.ferryproxy.codec.CodecTestSupport.buffer;
import static dev.ferryproxy.codec.CodecTestSupport.bytes;
import static dev.ferryproxy.codec.CodecTestSupport.concat;
import static dev.ferryproxy.codec.CodecTestSupport.decode;
import static dev.ferryproxy.codec.CodecTestSupport.filled;
import static dev.ferryproxy.codec.CodecTestSupport.hex;
import static dev.ferryproxy.codec.CodecTestSupport.latin1;
import static dev.ferryproxy.codec.CodecTestSupport.oneBytePerChunk;
import static dev.ferryproxy.codec.CodecTestSupport.range;
import static dev.ferryproxy.codec.CodecTestSupport.splitAt;
import static dev.ferryproxy.codec.SocksFrames.ATYP_DOMAIN;
import static dev.ferryproxy.codec.SocksFrames.ATYP_IPV4;
import static dev.ferryproxy.codec.SocksFrames.ATYP_IPV6;
import static dev.ferryproxy.codec.SocksFrames.EDGE_PORTS;
import static dev.ferryproxy.codec.SocksFrames.command;
import static dev.ferryproxy.codec.SocksFrames.commandDomain;
import static dev.ferryproxy.codec.SocksFrames.commandIpv4;
import static dev.ferryproxy.codec.SocksFrames.commandIpv6;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.codec.FramingContract;
import dev.ferryproxy.codec.CodecTestSupport.DecodeOutcome;
import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksAddressType;
import dev.ferryproxy.codec.SocksProtocolException;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.NetUtil;
import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.util.List;

class Socks5CommandRequestDecoderTest {
    private static final byte[] IPV6_DOC = bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd);
    private static final byte[] IPV6_LOOPBACK = concat(new byte[15], bytes(1));
    private static final byte[] IPV6_V4_MAPPED = concat(new byte[10], bytes(0xFF, 0xFF, 192, 0, 2, 1));

    private static final byte[] CONNECT_IPV4 = commandIpv4(1, bytes(93, 184, 216, 34), 443);
    private static final byte[] BIND_IPV6 = commandIpv6(2, IPV6_DOC, 8080);
    private static final byte[] CONNECT_DOMAIN = commandDomain(1, latin1("example.com"), 80);
    private static final byte[] UDP_ZEROS = commandIpv4(3, new byte[4], 0);

    private static final List<byte[]> VALID_FRAMES = List.of(CONNECT_IPV4, BIND_IPV6, CONNECT_DOMAIN, UDP_ZEROS,
            commandIpv6(1, IPV6_V4_MAPPED, 65535), commandDomain(1, filled(255, 'd'), 0x8000),
            commandDomain(0x7F, latin1("x"), 1));

    private static Socks5CommandRequest decodeWhole(byte[] frame) {
        return decode(new Socks5CommandRequestDecoder(), frame).single(Socks5CommandRequest.class);
    }

    private static SocksProtocolException rejection(byte[] input, Socks5CommandStatus expectedStatus) {
        SocksProtocolException e = decode(new Socks5CommandRequestDecoder(), input).failure();
        assertThat(e.errorReply()).isEqualTo(Socks5CommandResponse.failure(expectedStatus));
        return e;
    }

    // ---- valid frames --------------------------------------------------------------------------

    @Test
    void decodesConnectToIpv4() {
        Socks5CommandRequest request = decodeWhole(CONNECT_IPV4);
        assertThat(request.type()).isEqualTo(Socks5CommandType.CONNECT);
        assertThat(request.dst().type()).isEqualTo(SocksAddressType.IPV4);
        assertThat(request.dst().host()).isEqualTo("93.184.216.34");
        assertThat(request.dst().port()).isEqualTo(443);
    }

    @Test
    void decodesBindToIpv6() {
        Socks5CommandRequest request = decodeWhole(BIND_IPV6);
        assertThat(request.type()).isEqualTo(Socks5CommandType.BIND);
        assertThat(request.dst().type()).isEqualTo(SocksAddressType.IPV6);
        assertThat(request.dst().inetAddress().getAddress()).isEqualTo(IPV6_DOC);
        assertThat(request.dst().host()).isEqualTo("2001:db8::abcd");
        assertThat(request.dst().port()).isEqualTo(8080);
    }

    @Test
    void decodesConnectToDomain() {
        assertThat(decodeWhole(CONNECT_DOMAIN))
                .isEqualTo(new Socks5CommandRequest(Socks5CommandType.CONNECT, SocksAddress.domain("example.com", 80)));
    }

    @Test
    void decodesUdpAssociateWithUnknownSource() {
        assertThat(decodeWhole(UDP_ZEROS)).isEqualTo(new Socks5CommandRequest(Socks5CommandType.UDP_ASSOCIATE,
                SocksAddress.ipv4(new byte[4], 0)));
    }

    // ---- pitfalls ------------------------------------------------------------------------------

    @Test
    void port65535() {
        assertThat(decodeWhole(commandIpv4(1, bytes(1, 2, 3, 4), 65535)).dst().port()).isEqualTo(65535);
        assertThat(decodeWhole(commandIpv6(1, IPV6_LOOPBACK, 65535)).dst().port()).isEqualTo(65535);
        assertThat(decodeWhole(commandDomain(1, latin1("h"), 65535)).dst().port()).isEqualTo(65535);
    }

    @Test
    void portsAreFullUnsigned16Bit() {
        for (int port : EDGE_PORTS) {
            assertThat(decodeWhole(commandIpv4(1, bytes(1, 2, 3, 4), port)).dst().port()).isEqualTo(port);
            assertThat(decodeWhole(commandIpv6(1, IPV6_DOC, port)).dst().port()).isEqualTo(port);
            assertThat(decodeWhole(commandDomain(1, latin1("h"), port)).dst().port()).isEqualTo(port);
        }
        assertThat(decodeWhole(bytes(5, 1, 0, 1, 1, 2, 3, 4, 0x01, 0x00)).dst().port()).isEqualTo(256);
        assertThat(decodeWhole(bytes(5, 1, 0, 1, 1, 2, 3, 4, 0x80, 0x00)).dst().port()).isEqualTo(0x8000);
        assertThat(decodeWhole(bytes(5, 1, 0, 1, 1, 2, 3, 4, 0x00, 0x00)).dst().port()).isEqualTo(0);
        assertThat(decodeWhole(bytes(5, 1, 0, 1, 1, 2, 3, 4, 0x00, 0x01)).dst().port()).isEqualTo(1);
    }

    @Test
    void ipv6AddressIs16Bytes() {
        // the port follows the 16th address byte; bytes after it are not part of the request
        byte[] frame = commandIpv6(1, IPV6_DOC, 0x1234);
        byte[] trailer = bytes(0xEE, 0xEE);
        DecodeOutcome outcome = decode(new Socks5CommandRequestDecoder(), concat(frame, trailer));
        Socks5CommandRequest request = outcome.single(Socks5CommandRequest.class);
        assertThat(request.dst().inetAddress().getAddress()).isEqualTo(IPV6_DOC);
        assertThat(request.dst().port()).isEqualTo(0x1234);
        assertThat(outcome.forwardedOnRemoval).isEqualTo(trailer);
        // 8 address bytes and a port are not a request yet
        byte[] eightBytes = concat(bytes(5, 1, 0, 4), range(IPV6_DOC, 0, 8), bytes(0, 80));
        decode(new Socks5CommandRequestDecoder(), eightBytes).assertIncomplete(eightBytes);
    }

    @Test
    void ipv6Loopback() {
        SocksAddress dst = decodeWhole(commandIpv6(1, IPV6_LOOPBACK, 22)).dst();
        assertThat(dst.type()).isEqualTo(SocksAddressType.IPV6);
        assertThat(dst.host()).isEqualTo("::1");
        assertThat(dst.inetAddress().isLoopbackAddress()).isTrue();
        assertThat(dst.toString()).isEqualTo("[::1]:22");
    }

    @Test
    void ipv4MappedIpv6StaysIpv6() {
        SocksAddress dst = decodeWhole(commandIpv6(1, IPV6_V4_MAPPED, 80)).dst();
        assertThat(dst.type()).isEqualTo(SocksAddressType.IPV6);
        assertThat(dst.inetAddress()).isInstanceOf(Inet6Address.class);
        assertThat(dst.inetAddress().getAddress()).isEqualTo(IPV6_V4_MAPPED);
        assertThat(NetUtil.createByteArrayFromIpAddressString(dst.host()))
                .as("host text %s names the same 16 bytes", dst.host()).isEqualTo(IPV6_V4_MAPPED);
        assertThat(dst).isNotEqualTo(SocksAddress.ipv4(bytes(192, 0, 2, 1), 80));
    }

    @Test
    void domainOfLength1And2And254And255IsSlicedExactly() {
        for (int length : new int[] {1, 2, 63, 64, 127, 128, 254, 255}) {
            assertDomainOfLengthIsSlicedExactly(length);
        }
    }

    private static void assertDomainOfLengthIsSlicedExactly(int length) {
        byte[] name = new byte[length];
        for (int i = 0; i < length; i++) {
            name[i] = (byte) ('a' + i % 26);
        }
        // port bytes that are valid name chars: an off-by-one would show up in name or port
        byte[] frame = command(1, 0, ATYP_DOMAIN, concat(bytes(length), name), 0x7A7A);
        byte[] trailer = latin1("zz");
        DecodeOutcome outcome = decode(new Socks5CommandRequestDecoder(), concat(frame, trailer));
        SocksAddress dst = outcome.single(Socks5CommandRequest.class).dst();
        assertThat(dst.host()).isEqualTo(latin1(name));
        assertThat(dst.host()).hasSize(length);
        assertThat(dst.port()).as("the two bytes after the name are the port").isEqualTo(0x7A7A);
        assertThat(outcome.forwardedOnRemoval).isEqualTo(trailer);
        // one byte short of the port is still incomplete
        byte[] short1 = range(frame, 0, frame.length - 1);
        decode(new Socks5CommandRequestDecoder(), short1).assertIncomplete(short1);
    }

    @Test
    void domainBytesAreKeptLosslessly() {
        byte[] name = bytes(0x00, 0x7F, 0x80, 0xC3, 0xA9, 0xFF, '.', ' ');
        SocksAddress dst = decodeWhole(commandDomain(1, name, 80)).dst();
        assertThat(latin1(dst.host())).isEqualTo(name);
        assertThat(dst.printableHost()).isEqualTo("\\x00\\x7f\\x80\\xc3\\xa9\\xff.\\x20");
    }

    @Test
    void unknownCommandDecodesWithItsTypeByteKept() {
        for (int cmd : new int[] {0x00, 0x04, 0x05, 0x7F, 0x80, 0xFE, 0xFF}) {
            Socks5CommandRequest request = decodeWhole(commandIpv4(cmd, bytes(1, 2, 3, 4), 80));
            assertThat(request.type().byteValue()).isEqualTo((byte) cmd);
            assertThat(request.type()).isNotIn(Socks5CommandType.CONNECT, Socks5CommandType.BIND,
                    Socks5CommandType.UDP_ASSOCIATE);
            assertThat(request.type()).isEqualTo(Socks5CommandType.valueOf((byte) cmd));
        }
    }

    @Test
    void reservedByteIsIgnored() {
        for (int rsv : new int[] {0x01, 0x05, 0x80, 0xFF}) {
            assertThat(decodeWhole(command(1, rsv, ATYP_IPV4, bytes(1, 2, 3, 4), 80)))
                    .isEqualTo(decodeWhole(commandIpv4(1, bytes(1, 2, 3, 4), 80)));
            assertThat(decodeWhole(command(3, rsv, ATYP_DOMAIN, concat(bytes(1), latin1("h")), 80)))
                    .isEqualTo(decodeWhole(commandDomain(3, latin1("h"), 80)));
        }
    }

    // ---- splitting and pipelining --------------------------------------------------------------

    @Test
    void decodesEveryFrameSplitAtEveryByteBoundary() {
        FramingContract.assertDecodesTheSameSplitAtEveryBoundary(Socks5CommandRequestDecoder::new, Socks5CommandRequest.class, VALID_FRAMES);
    }

    @Test
    void decodesEveryFrameOneBytePerWriteOnlyAfterItsLastByte() {
        FramingContract.assertDecodesOnTheLastByteOneBytePerWrite(Socks5CommandRequestDecoder::new, Socks5CommandRequest.class, VALID_FRAMES);
    }

    @Test
    void everyStrictPrefixIsIncompleteAndHeldWhole() {
        FramingContract.assertEveryStrictPrefixIsIncompleteAndHeldWhole(Socks5CommandRequestDecoder::new, VALID_FRAMES);
    }

    @Test
    void payloadPipelinedAfterTheRequestIsKeptAndForwardedOnRemoval() {
        byte[] payload = concat(bytes(0x16, 0x03, 0x01), filled(300, 0xAB));
        for (byte[] frame : List.of(CONNECT_IPV4, BIND_IPV6, CONNECT_DOMAIN)) {
            byte[] input = concat(frame, payload);
            for (int cut = 1; cut < input.length; cut += 7) {
                DecodeOutcome outcome = decode(new Socks5CommandRequestDecoder(), splitAt(input, cut));
                assertThat(outcome.single(Socks5CommandRequest.class)).isEqualTo(decodeWhole(frame));
                assertThat(outcome.forwardedWhileInPipeline).isEmpty();
                assertThat(outcome.forwardedOnRemoval).as("cut at %d", cut).isEqualTo(payload);
            }
            DecodeOutcome bytewise = decode(new Socks5CommandRequestDecoder(), oneBytePerChunk(input));
            assertThat(bytewise.forwardedOnRemoval).isEqualTo(payload);
        }
    }

    @Test
    void secondRequestStaysUndecodedAsLeftover() {
        DecodeOutcome outcome = decode(new Socks5CommandRequestDecoder(), concat(CONNECT_DOMAIN, CONNECT_IPV4));
        assertThat(outcome.single(Socks5CommandRequest.class)).isEqualTo(decodeWhole(CONNECT_DOMAIN));
        assertThat(outcome.forwardedOnRemoval).isEqualTo(CONNECT_IPV4);
    }

    @Test
    void leftoverReachesAHandlerThatRemovesTheDecoderOnTheRequest() {
        byte[] payload = latin1("hello");
        DecodeOutcome outcome = decode(new Socks5CommandRequestDecoder(),
                List.of(range(BIND_IPV6, 0, 5), concat(range(BIND_IPV6, 5, BIND_IPV6.length), payload)), true);
        assertThat(outcome.single(Socks5CommandRequest.class)).isEqualTo(decodeWhole(BIND_IPV6));
        assertThat(outcome.forwardedOnRemoval).isEqualTo(payload);
    }

    // ---- malformed -----------------------------------------------------------------------------

    @Test
    void unknownAddressTypeIsAnsweredWithAddressTypeNotSupported() {
        for (int atyp : new int[] {0x00, 0x02, 0x05, 0x06, 0x7F, 0xFF}) {
            SocksProtocolException e = rejection(bytes(5, 1, 0, atyp), Socks5CommandStatus.ADDRESS_UNSUPPORTED);
            assertThat(e).hasMessageContaining("address type");
            rejection(command(1, 0, atyp, bytes(1, 2, 3, 4), 80), Socks5CommandStatus.ADDRESS_UNSUPPORTED);
        }
    }

    @Test
    void wrongVersionIsAnsweredWithGeneralFailure() {
        for (int version : new int[] {0x00, 0x01, 0x04, 0x06, 0xFF}) {
            rejection(bytes(version), Socks5CommandStatus.FAILURE);
            byte[] frame = CONNECT_IPV4.clone();
            frame[0] = (byte) version;
            rejection(frame, Socks5CommandStatus.FAILURE);
        }
    }

    @Test
    void domainOfLength0IsAnsweredWithGeneralFailure() {
        rejection(bytes(5, 1, 0, ATYP_DOMAIN, 0), Socks5CommandStatus.FAILURE);
        rejection(bytes(5, 1, 0, ATYP_DOMAIN, 0, 0, 80), Socks5CommandStatus.FAILURE);
    }

    @Test
    void failureReplyCarriesTheUnspecifiedAddress() {
        SocksProtocolException e = decode(new Socks5CommandRequestDecoder(), bytes(5, 1, 0, 9)).failure();
        Socks5CommandResponse reply = (Socks5CommandResponse) e.errorReply();
        assertThat(reply.status().byteValue()).isEqualTo((byte) 0x08);
        assertThat(reply.bnd()).isEqualTo(SocksAddress.ipv4(new byte[4], 0));
    }

    @Test
    void everyMalformedRequestIsRejectedHoweverSplit() {
        List<byte[]> inputs = List.of(command(1, 0, 0x02, bytes(1, 2, 3, 4), 80), bytes(5, 1, 0, ATYP_DOMAIN, 0, 0, 80),
                concat(bytes(4), range(CONNECT_IPV4, 1, CONNECT_IPV4.length)));
        List<Socks5CommandStatus> statuses = List.of(Socks5CommandStatus.ADDRESS_UNSUPPORTED,
                Socks5CommandStatus.FAILURE, Socks5CommandStatus.FAILURE);
        for (int i = 0; i < inputs.size(); i++) {
            byte[] input = inputs.get(i);
            for (int cut = 1; cut < input.length; cut++) {
                SocksProtocolException e = decode(new Socks5CommandRequestDecoder(), splitAt(input, cut)).failure();
                assertThat(e.errorReply()).as("%s cut at %d", hex(input), cut)
                        .isEqualTo(Socks5CommandResponse.failure(statuses.get(i)));
            }
        }
    }

    @Test
    void afterARejectionLaterInputIsDiscarded() {
        DecodeOutcome outcome = decode(new Socks5CommandRequestDecoder(),
                List.of(bytes(5, 1, 0, 7), CONNECT_IPV4, latin1("payload")));
        assertThat(outcome.failure().errorReply())
                .isEqualTo(Socks5CommandResponse.failure(Socks5CommandStatus.ADDRESS_UNSUPPORTED));
        assertThat(outcome.exceptionChunks).containsExactly(0);
    }

    @Test
    void writeInboundRethrowsTheProtocolException() {
        EmbeddedChannel channel = new EmbeddedChannel(new Socks5CommandRequestDecoder());
        try {
            assertThatThrownBy(() -> channel.writeInbound(buffer(bytes(5, 1, 0, ATYP_IPV6 + 1))))
                    .isInstanceOf(SocksProtocolException.class);
            assertThat(channel.writeInbound(buffer(CONNECT_IPV4))).isFalse();
            channel.checkException();
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
