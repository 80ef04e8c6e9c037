package dev.ferryproxy.codec.v5;

import static dev.ferryproxy.codec.CodecTestSupport.bytes;
import static dev.ferryproxy.codec.CodecTestSupport.concat;
import static dev.ferryproxy.codec.CodecTestSupport.filled;
import static dev.ferryproxy.codec.CodecTestSupport.latin1;
import static dev.ferryproxy.codec.CodecTestSupport.readableBytesOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;

class Socks5ServerEncoderTest {
    private static final byte[] IPV6_DOC = bytes(0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34);

    /** Encodes through a channel, as the server does; also checks the buffer was sized exactly. */
    static byte[] encodeInChannel(Object msg) {
        EmbeddedChannel channel = new EmbeddedChannel(Socks5ServerEncoder.INSTANCE);
        try {
            assertThat(channel.writeOutbound(msg)).isTrue();
            ByteBuf out = channel.readOutbound();
            try {
                assertThat(channel.<Object>readOutbound()).as("one buffer per reply").isNull();
                assertThat(out.writableBytes()).as("allocated to the exact encoded length").isZero();
                return readableBytesOf(out);
            } finally {
                out.release();
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    static byte[] encodeStatic(Object msg) {
        ByteBuf out = Unpooled.buffer();
        try {
            Socks5ServerEncoder.encode(msg, out);
            return readableBytesOf(out);
        } finally {
            out.release();
        }
    }

    private static void assertEncodes(Object msg, byte[] expected) {
        assertThat(encodeInChannel(msg)).isEqualTo(expected);
        assertThat(encodeStatic(msg)).isEqualTo(expected);
    }

    // ---- method selection and RFC 1929 status --------------------------------------------------

    @Test
    void methodSelectionReplies() {
        assertEncodes(Socks5InitialResponse.NO_AUTH, bytes(5, 0x00));
        assertEncodes(Socks5InitialResponse.PASSWORD, bytes(5, 0x02));
        assertEncodes(Socks5InitialResponse.NO_ACCEPTABLE_METHOD, bytes(5, 0xFF));
        for (int m = 0; m < 256; m++) {
            assertThat(encodeStatic(new Socks5InitialResponse(Socks5AuthMethod.valueOf((byte) m))))
                    .isEqualTo(bytes(5, m));
        }
    }

    @Test
    void passwordAuthStatusReplies() {
        assertEncodes(Socks5PasswordAuthResponse.SUCCESS, bytes(1, 0x00));
        assertEncodes(Socks5PasswordAuthResponse.FAILURE, bytes(1, 0x01));
        assertEncodes(new Socks5PasswordAuthResponse((byte) 0xFF), bytes(1, 0xFF));
    }

    // ---- command replies -----------------------------------------------------------------------

    @Test
    void successReplyWithIpv4Bound() {
        assertEncodes(new Socks5CommandResponse(Socks5CommandStatus.SUCCESS, SocksAddress.ipv4(bytes(10, 0, 0, 7), 50000)),
                bytes(5, 0x00, 0x00, 0x01, 10, 0, 0, 7, 50000 >>> 8, 50000 & 0xFF));
    }

    @Test
    void successReplyWithIpv6BoundIs16AddressBytes() {
        assertEncodes(new Socks5CommandResponse(Socks5CommandStatus.SUCCESS, SocksAddress.ipv6(IPV6_DOC, 443)),
                concat(bytes(5, 0, 0, 0x04), IPV6_DOC, bytes(0x01, 0xBB)));
    }

    @Test
    void ipv6LoopbackBound() {
        byte[] loopback = concat(new byte[15], bytes(1));
        assertEncodes(new Socks5CommandResponse(Socks5CommandStatus.SUCCESS, SocksAddress.ipv6(loopback, 1)),
                concat(bytes(5, 0, 0, 4), loopback, bytes(0, 1)));
    }

    @Test
    void ipv4MappedIpv6BoundStaysIpv6OnTheWire() {
        byte[] mapped = concat(new byte[10], bytes(0xFF, 0xFF, 198, 51, 100, 9));
        byte[] reply = encodeInChannel(new Socks5CommandResponse(Socks5CommandStatus.SUCCESS, SocksAddress.ipv6(mapped, 80)));
        assertThat(reply).isEqualTo(concat(bytes(5, 0, 0, 0x04), mapped, bytes(0, 80)));
        assertThat(reply).hasSize(22);
    }

    @Test
    void ipv6BoundFromASocketAddress() throws Exception {
        InetAddress address = InetAddress.getByAddress(IPV6_DOC);
        assertEncodes(new Socks5CommandResponse(Socks5CommandStatus.SUCCESS,
                        SocksAddress.of(new InetSocketAddress(address, 65535))),
                concat(bytes(5, 0, 0, 4), IPV6_DOC, bytes(0xFF, 0xFF)));
    }

    @Test
    void domainBoundIsLengthNameAndPort() {
        assertEncodes(new Socks5CommandResponse(Socks5CommandStatus.SUCCESS, SocksAddress.domain("relay.example", 1080)),
                concat(bytes(5, 0, 0, 0x03, 13), latin1("relay.example"), bytes(0x04, 0x38)));
    }

    @Test
    void domainBoundOf255BytesAndHighBytes() {
        String longName = latin1(filled(255, 'n'));
        assertEncodes(new Socks5CommandResponse(Socks5CommandStatus.SUCCESS, SocksAddress.domain(longName, 1)),
                concat(bytes(5, 0, 0, 3, 255), filled(255, 'n'), bytes(0, 1)));
        byte[] binary = bytes(0x00, 0x80, 0xFF);
        assertEncodes(new Socks5CommandResponse(Socks5CommandStatus.SUCCESS, SocksAddress.domain(latin1(binary), 2)),
                concat(bytes(5, 0, 0, 3, 3), binary, bytes(0, 2)));
    }

    @Test
    void port65535AndOtherEdgePorts() {
        for (int port : SocksFrames.EDGE_PORTS) {
            assertThat(encodeStatic(new Socks5CommandResponse(Socks5CommandStatus.SUCCESS,
                    SocksAddress.ipv4(bytes(1, 2, 3, 4), port))))
                    .isEqualTo(bytes(5, 0, 0, 1, 1, 2, 3, 4, port >>> 8, port));
        }
    }

    @Test
    void everyFailureCodeWithUnspecifiedAddress() {
        for (int rep = 1; rep <= 8; rep++) {
            Socks5CommandStatus status = Socks5CommandStatus.valueOf((byte) rep);
            assertEncodes(Socks5CommandResponse.failure(status), bytes(5, rep, 0, 1, 0, 0, 0, 0, 0, 0));
        }
        assertEncodes(Socks5CommandResponse.failure(Socks5CommandStatus.ADDRESS_UNSUPPORTED),
                bytes(5, 0x08, 0, 1, 0, 0, 0, 0, 0, 0));
        assertEncodes(Socks5CommandResponse.failure(Socks5CommandStatus.COMMAND_UNSUPPORTED),
                bytes(5, 0x07, 0, 1, 0, 0, 0, 0, 0, 0));
    }

    @Test
    void reservedByteIsAlwaysZero() {
        for (SocksAddress bnd : new SocksAddress[] {SocksAddress.ipv4(bytes(1, 1, 1, 1), 1),
                SocksAddress.ipv6(IPV6_DOC, 2), SocksAddress.domain("d", 3)}) {
            byte[] reply = encodeStatic(new Socks5CommandResponse(Socks5CommandStatus.valueOf((byte) 0x42), bnd));
            assertThat(reply[0]).isEqualTo((byte) 5);
            assertThat(reply[1]).isEqualTo((byte) 0x42);
            assertThat(reply[2]).isZero();
        }
    }

    // ---- pass-through and errors ---------------------------------------------------------------

    @Test
    void isSharable() {
        assertThat(Socks5ServerEncoder.INSTANCE.getClass().isAnnotationPresent(ChannelHandler.Sharable.class)).isTrue();
    }

    @Test
    void otherMessagesPassThroughUntouched() {
        EmbeddedChannel channel = new EmbeddedChannel(Socks5ServerEncoder.INSTANCE);
        try {
            ByteBuf payload = Unpooled.copiedBuffer(bytes(9, 9));
            Object request = new Socks5CommandRequest(Socks5CommandType.CONNECT, SocksAddress.domain("x", 1));
            assertThat(channel.writeOutbound(payload, request)).isTrue();
            ByteBuf first = channel.readOutbound();
            try {
                assertThat(first).isSameAs(payload);
            } finally {
                first.release();
            }
            assertThat(channel.<Object>readOutbound()).isSameAs(request);
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void staticEncodeOfAnythingElseFails() {
        ByteBuf out = Unpooled.buffer();
        try {
            assertThatThrownBy(() -> Socks5ServerEncoder.encode("not a reply", out)).isInstanceOf(EncoderException.class);
            assertThat(out.readableBytes()).isZero();
        } finally {
            out.release();
        }
    }
}
