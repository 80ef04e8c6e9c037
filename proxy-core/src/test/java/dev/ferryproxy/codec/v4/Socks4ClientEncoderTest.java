package dev.ferryproxy.codec.v4;

import static dev.ferryproxy.codec.CodecTestSupport.bytes;
import static dev.ferryproxy.codec.CodecTestSupport.concat;
import static dev.ferryproxy.codec.CodecTestSupport.decode;
import static dev.ferryproxy.codec.CodecTestSupport.latin1;
import static dev.ferryproxy.codec.CodecTestSupport.readableBytesOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;
import org.junit.jupiter.api.Test;

import java.util.List;

class Socks4ClientEncoderTest {
    static byte[] encodeInChannel(Socks4CommandRequest msg) {
        EmbeddedChannel channel = new EmbeddedChannel(Socks4ClientEncoder.INSTANCE);
        try {
            assertThat(channel.writeOutbound(msg)).isTrue();
            ByteBuf out = channel.readOutbound();
            try {
                return readableBytesOf(out);
            } finally {
                out.release();
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    static byte[] encodeStatic(Socks4CommandRequest msg) {
        ByteBuf out = Unpooled.buffer();
        try {
            Socks4ClientEncoder.encode(msg, out);
            assertThat(out.readableBytes()).isEqualTo(Socks4ClientEncoder.encodedLength(msg));
            return readableBytesOf(out);
        } finally {
            out.release();
        }
    }

    private static void assertEncodes(Socks4CommandRequest msg, byte[] expected) {
        assertThat(encodeInChannel(msg)).isEqualTo(expected);
        assertThat(encodeStatic(msg)).isEqualTo(expected);
        // and the server side reads back the same request
        assertThat(decode(new Socks4ServerDecoder(), expected).single(Socks4CommandRequest.class)).isEqualTo(msg);
    }

    @Test
    void connectToAnIpv4Address() {
        assertEncodes(new Socks4CommandRequest(Socks4CommandType.CONNECT, SocksAddress.ipv4(bytes(93, 184, 216, 34), 80), ""),
                SocksFrames.socks4(1, 80, bytes(93, 184, 216, 34), new byte[0]));
    }

    @Test
    void socks4aCarriesTheNameAfterTheUserId() {
        assertEncodes(new Socks4CommandRequest(Socks4CommandType.CONNECT, SocksAddress.domain("example.com", 443), "joe"),
                SocksFrames.socks4a(1, 443, 1, latin1("joe"), latin1("example.com")));
    }

    @Test
    void bindWithEdgePortsAndTheLongestFields() {
        for (int port : SocksFrames.EDGE_PORTS) {
            assertEncodes(new Socks4CommandRequest(Socks4CommandType.BIND, SocksAddress.ipv4(bytes(1, 2, 3, 4), port),
                    "u".repeat(255)), SocksFrames.socks4(2, port, bytes(1, 2, 3, 4), latin1("u".repeat(255))));
        }
        String longest = "n".repeat(255);
        assertEncodes(new Socks4CommandRequest(Socks4CommandType.CONNECT, SocksAddress.domain(longest, 1), ""),
                concat(bytes(4, 1, 0, 1, 0, 0, 0, 1, 0), latin1(longest), bytes(0)));
    }

    @Test
    void refusesWhatSocks4CannotCarryBeforeWritingAnything() {
        List<Socks4CommandRequest> bad = List.of(
                new Socks4CommandRequest(Socks4CommandType.CONNECT, SocksAddress.ipv6(new byte[16], 80), ""),
                new Socks4CommandRequest(Socks4CommandType.CONNECT, SocksAddress.ipv4(bytes(1, 2, 3, 4), 80), "a\0b"),
                new Socks4CommandRequest(Socks4CommandType.CONNECT, SocksAddress.ipv4(bytes(1, 2, 3, 4), 80),
                        "u".repeat(256)),
                new Socks4CommandRequest(Socks4CommandType.CONNECT, SocksAddress.domain("a\0b", 80), ""),
                new Socks4CommandRequest(Socks4CommandType.CONNECT, SocksAddress.ipv4(bytes(1, 2, 3, 4), 80), "\u0100"));
        for (Socks4CommandRequest request : bad) {
            ByteBuf out = Unpooled.buffer();
            assertThatThrownBy(() -> Socks4ClientEncoder.encode(request, out)).isInstanceOf(IllegalArgumentException.class);
            assertThat(out.readableBytes()).as("nothing written").isZero();
            out.release();
            EmbeddedChannel channel = new EmbeddedChannel(Socks4ClientEncoder.INSTANCE);
            assertThatThrownBy(() -> channel.writeOutbound(request)).isInstanceOf(EncoderException.class);
            assertThat(channel.finishAndReleaseAll()).isFalse();
        }
    }
}
