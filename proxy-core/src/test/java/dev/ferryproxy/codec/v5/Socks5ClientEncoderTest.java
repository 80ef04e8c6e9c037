package dev.ferryproxy.codec.v5;

import static dev.ferryproxy.codec.CodecTestSupport.bytes;
import static dev.ferryproxy.codec.CodecTestSupport.decode;
import static dev.ferryproxy.codec.CodecTestSupport.filled;
import static dev.ferryproxy.codec.CodecTestSupport.latin1;
import static dev.ferryproxy.codec.CodecTestSupport.readableBytesOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

class Socks5ClientEncoderTest {
    static byte[] encodeInChannel(Object msg) {
        EmbeddedChannel channel = new EmbeddedChannel(Socks5ClientEncoder.INSTANCE);
        try {
            assertThat(channel.writeOutbound(msg)).isTrue();
            ByteBuf out = channel.readOutbound();
            try {
                assertThat(channel.<Object>readOutbound()).as("one buffer per message").isNull();
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
            Socks5ClientEncoder.encode(msg, out);
            assertThat(out.readableBytes()).isEqualTo(Socks5ClientEncoder.encodedLength(msg));
            return readableBytesOf(out);
        } finally {
            out.release();
        }
    }

    /** Encodes both ways, compares with the bytes written from the RFC, and decodes back with the server's decoder. */
    private static void assertEncodes(Object msg, byte[] expected, Supplier<? extends ChannelHandler> serverDecoder) {
        assertThat(encodeInChannel(msg)).isEqualTo(expected);
        assertThat(encodeStatic(msg)).isEqualTo(expected);
        assertThat(decode(serverDecoder.get(), expected).single(msg.getClass())).isEqualTo(msg);
    }

    @Test
    void greetingWithOneTwoAndAllMethods() {
        assertEncodes(new Socks5InitialRequest(List.of(Socks5AuthMethod.NO_AUTH)), SocksFrames.greeting(0),
                Socks5InitialRequestDecoder::new);
        assertEncodes(new Socks5InitialRequest(List.of(Socks5AuthMethod.NO_AUTH, Socks5AuthMethod.PASSWORD)),
                SocksFrames.greeting(0, 2), Socks5InitialRequestDecoder::new);
        List<Socks5AuthMethod> all = new ArrayList<>();
        byte[] raw = new byte[255];
        for (int i = 0; i < 255; i++) {
            all.add(Socks5AuthMethod.valueOf((byte) i));
            raw[i] = (byte) i;
        }
        assertEncodes(new Socks5InitialRequest(all), SocksFrames.greeting(raw), Socks5InitialRequestDecoder::new);
    }

    @Test
    void passwordLoginWithTheLongestFieldsAndBytesAbove0x7f() {
        assertEncodes(new Socks5PasswordAuthRequest(latin1("alice"), latin1("secret")),
                SocksFrames.passwordAuth(latin1("alice"), latin1("secret")), Socks5PasswordAuthRequestDecoder::new);
        byte[] user = filled(255, 0xC3);
        byte[] password = filled(255, 0xFF);
        assertEncodes(new Socks5PasswordAuthRequest(user, password), SocksFrames.passwordAuth(user, password),
                Socks5PasswordAuthRequestDecoder::new);
    }

    @Test
    void requestsForEveryAddressTypeAndCommand() {
        byte[] v6 = bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7);
        for (Socks5CommandType cmd : List.of(Socks5CommandType.CONNECT, Socks5CommandType.BIND,
                Socks5CommandType.UDP_ASSOCIATE)) {
            int c = cmd.byteValue();
            for (int port : SocksFrames.EDGE_PORTS) {
                assertEncodes(new Socks5CommandRequest(cmd, SocksAddress.ipv4(bytes(192, 0, 2, 1), port)),
                        SocksFrames.commandIpv4(c, bytes(192, 0, 2, 1), port), Socks5CommandRequestDecoder::new);
                assertEncodes(new Socks5CommandRequest(cmd, SocksAddress.ipv6(v6, port)),
                        SocksFrames.commandIpv6(c, v6, port), Socks5CommandRequestDecoder::new);
                assertEncodes(new Socks5CommandRequest(cmd, SocksAddress.domain("example.com", port)),
                        SocksFrames.commandDomain(c, latin1("example.com"), port), Socks5CommandRequestDecoder::new);
            }
        }
        String longest = "d".repeat(255);
        assertEncodes(new Socks5CommandRequest(Socks5CommandType.CONNECT, SocksAddress.domain(longest, 80)),
                SocksFrames.commandDomain(1, latin1(longest), 80), Socks5CommandRequestDecoder::new);
    }

    @Test
    void acceptsOnlyClientMessages() {
        assertThat(Socks5ClientEncoder.INSTANCE.acceptOutboundMessage(Socks5InitialResponse.NO_AUTH)).isFalse();
        assertThat(Socks5ClientEncoder.INSTANCE.acceptOutboundMessage(Unpooled.EMPTY_BUFFER)).isFalse();
    }
}
