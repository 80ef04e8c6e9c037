package dev.ferryproxy.benchmarks.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

import java.nio.charset.StandardCharsets;

/** The wire bytes of the frames the codec benchmarks decode, as typical clients send them. */
final class Frames {
    static final byte[] IPV4 = {93, (byte) 184, (byte) 215, 14};
    static final byte[] IPV6 = {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static final String DOMAIN = "www.example.com";
    static final int PORT = 443;

    private Frames() {
    }

    /** SOCKS4 CONNECT to 93.184.215.14:443, USERID "alice". */
    static ByteBuf socks4Request() {
        ByteBuf buf = buffer().writeByte(4).writeByte(1).writeShort(PORT).writeBytes(IPV4);
        return nulTerminated(buf, "alice");
    }

    /** SOCKS4a CONNECT to www.example.com:443, USERID "alice". */
    static ByteBuf socks4aRequest() {
        ByteBuf buf = buffer().writeByte(4).writeByte(1).writeShort(PORT).writeBytes(new byte[] {0, 0, 0, 1});
        return nulTerminated(nulTerminated(buf, "alice"), DOMAIN);
    }

    /** A greeting offering no-auth and username/password, as curl sends it. */
    static ByteBuf socks5Greeting() {
        return buffer().writeByte(5).writeByte(2).writeByte(0).writeByte(2);
    }

    /** RFC 1929: "alice" / "correct horse battery staple". */
    static ByteBuf socks5Login() {
        byte[] user = "alice".getBytes(StandardCharsets.US_ASCII);
        byte[] password = "correct horse battery staple".getBytes(StandardCharsets.US_ASCII);
        return buffer().writeByte(1).writeByte(user.length).writeBytes(user)
                .writeByte(password.length).writeBytes(password);
    }

    /** CONNECT with ATYP 1, 4 or 3. */
    static ByteBuf socks5Request(int atyp) {
        return address(buffer().writeByte(5).writeByte(1).writeByte(0), atyp);
    }

    /** A UDP datagram header (RSV, FRAG 0, address) followed by {@code payload} bytes of data. */
    static ByteBuf udpDatagram(int atyp, int payload) {
        ByteBuf buf = address(buffer().writeShort(0).writeByte(0), atyp);
        return buf.writeZero(payload);
    }

    private static ByteBuf address(ByteBuf buf, int atyp) {
        buf.writeByte(atyp);
        switch (atyp) {
            case 1:
                buf.writeBytes(IPV4);
                break;
            case 4:
                buf.writeBytes(IPV6);
                break;
            default:
                buf.writeByte(DOMAIN.length()).writeCharSequence(DOMAIN, StandardCharsets.ISO_8859_1);
                break;
        }
        return buf.writeShort(PORT);
    }

    private static ByteBuf nulTerminated(ByteBuf buf, String text) {
        buf.writeCharSequence(text, StandardCharsets.ISO_8859_1);
        return buf.writeByte(0);
    }

    /** A pooled direct buffer, as a socket read hands the decoder. */
    private static ByteBuf buffer() {
        return PooledByteBufAllocator.DEFAULT.directBuffer(64);
    }
}
