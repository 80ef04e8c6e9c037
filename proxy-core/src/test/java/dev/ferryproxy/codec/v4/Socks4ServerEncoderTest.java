package dev.ferryproxy.codec.v4;

import static dev.ferryproxy.codec.CodecTestSupport.bytes;
import static dev.ferryproxy.codec.CodecTestSupport.readableBytesOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

class Socks4ServerEncoderTest {
    /** Encodes through a channel, as the server does, and returns the bytes written. */
    static byte[] encodeInChannel(Object msg) {
        EmbeddedChannel channel = new EmbeddedChannel(Socks4ServerEncoder.INSTANCE);
        try {
            assertThat(channel.writeOutbound(msg)).isTrue();
            ByteBuf out = channel.readOutbound();
            try {
                assertThat(channel.<Object>readOutbound()).as("one buffer per reply").isNull();
                return readableBytesOf(out);
            } finally {
                out.release();
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    static byte[] encodeStatic(Socks4CommandResponse msg) {
        ByteBuf out = Unpooled.buffer();
        try {
            Socks4ServerEncoder.encode(msg, out);
            return readableBytesOf(out);
        } finally {
            out.release();
        }
    }

    private static void assertEncodes(Socks4CommandResponse msg, byte[] expected) {
        assertThat(encodeInChannel(msg)).isEqualTo(expected);
        assertThat(encodeStatic(msg)).isEqualTo(expected);
    }

    @Test
    void grantedReplyWithIpv4Bound() {
        assertEncodes(new Socks4CommandResponse(Socks4CommandStatus.SUCCESS, SocksAddress.ipv4(bytes(10, 1, 2, 3), 1080)),
                bytes(0x00, 90, 0x04, 0x38, 10, 1, 2, 3));
    }

    @Test
    void rejectedReplyIs91WithZeros() {
        assertEncodes(Socks4CommandResponse.rejected(), bytes(0x00, 91, 0, 0, 0, 0, 0, 0));
    }

    @Test
    void everyStatusIsItsCdByteAndReplyVersionIsZero() {
        for (Socks4CommandStatus status : Socks4CommandStatus.values()) {
            byte[] reply = encodeInChannel(new Socks4CommandResponse(status, SocksAddress.ipv4(bytes(1, 2, 3, 4), 5)));
            assertThat(reply).hasSize(8);
            assertThat(reply[0]).as("VN of a reply is 0, not 4").isEqualTo((byte) 0);
            assertThat(reply[1]).isEqualTo(status.byteValue());
            assertThat(Socks4CommandStatus.valueOf(reply[1])).isEqualTo(status);
        }
    }

    @Test
    void statusBytesAre90To93() {
        assertThat(Socks4CommandStatus.SUCCESS.byteValue()).isEqualTo((byte) 90);
        assertThat(Socks4CommandStatus.REJECTED_OR_FAILED.byteValue()).isEqualTo((byte) 91);
        assertThat(Socks4CommandStatus.IDENTD_UNREACHABLE.byteValue()).isEqualTo((byte) 92);
        assertThat(Socks4CommandStatus.IDENTD_AUTH_FAILURE.byteValue()).isEqualTo((byte) 93);
        assertThat(Socks4CommandStatus.valueOf((byte) 94)).isNull();
    }

    @Test
    void port65535AndOtherEdgePorts() {
        for (int port : SocksFrames.EDGE_PORTS) {
            byte[] reply = encodeStatic(new Socks4CommandResponse(Socks4CommandStatus.SUCCESS,
                    SocksAddress.ipv4(bytes(127, 0, 0, 1), port)));
            assertThat(reply).isEqualTo(bytes(0, 90, port >>> 8, port, 127, 0, 0, 1));
        }
    }

    @Test
    void ipv6BoundGoesOutAsZeroAddressWithItsPort() {
        byte[] ipv6 = bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
        assertEncodes(new Socks4CommandResponse(Socks4CommandStatus.SUCCESS, SocksAddress.ipv6(ipv6, 0xABCD)),
                bytes(0, 90, 0xAB, 0xCD, 0, 0, 0, 0));
    }

    @Test
    void ipv4MappedIpv6BoundIsStillNotIpv4() {
        byte[] mapped = bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3, 4);
        assertEncodes(new Socks4CommandResponse(Socks4CommandStatus.SUCCESS, SocksAddress.ipv6(mapped, 80)),
                bytes(0, 90, 0, 80, 0, 0, 0, 0));
    }

    @Test
    void domainBoundGoesOutAsZeroAddressWithItsPort() {
        assertEncodes(new Socks4CommandResponse(Socks4CommandStatus.SUCCESS, SocksAddress.domain("proxy.example", 65535)),
                bytes(0, 90, 0xFF, 0xFF, 0, 0, 0, 0));
    }

    @Test
    void boundFromASocketAddress() {
        SocksAddress bound = SocksAddress.of(new InetSocketAddress("192.0.2.7", 40000));
        assertEncodes(new Socks4CommandResponse(Socks4CommandStatus.SUCCESS, bound),
                bytes(0, 90, 40000 >>> 8, 40000 & 0xFF, 192, 0, 2, 7));
    }

    @Test
    void isSharableAndWorksInSeveralChannels() {
        assertThat(Socks4ServerEncoder.INSTANCE.getClass().isAnnotationPresent(ChannelHandler.Sharable.class)).isTrue();
        for (int i = 0; i < 3; i++) {
            assertThat(encodeInChannel(Socks4CommandResponse.rejected())).hasSize(8);
        }
    }

    @Test
    void otherMessagesPassThroughUntouched() {
        EmbeddedChannel channel = new EmbeddedChannel(Socks4ServerEncoder.INSTANCE);
        try {
            ByteBuf payload = Unpooled.copiedBuffer(bytes(1, 2, 3));
            assertThat(channel.writeOutbound(payload, "text")).isTrue();
            ByteBuf first = channel.readOutbound();
            try {
                assertThat(first).isSameAs(payload);
            } finally {
                first.release();
            }
            assertThat(channel.<Object>readOutbound()).isEqualTo("text");
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
