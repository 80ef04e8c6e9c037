package dev.ferryproxy.codec.v4;

import dev.ferryproxy.codec.SocksAddress;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

import java.nio.charset.StandardCharsets;

/**
 * Encodes what a SOCKS4 client sends, {@link Socks4CommandRequest}:
 * {@code VN=4, CD, DSTPORT(2), DSTIP(4), USERID, NUL}, and for a SOCKS4a request (a domain
 * destination) DSTIP 0.0.0.1 followed by {@code HOSTNAME, NUL} after the USERID.
 *
 * <p>A request SOCKS4 cannot carry is refused with an {@link IllegalArgumentException} before any
 * byte is written: an IPv6 destination, a USERID over 255 bytes, or a NUL inside the USERID or the
 * host name (the NUL ends the field on the wire).
 */
@Sharable
public final class Socks4ClientEncoder extends MessageToByteEncoder<Socks4CommandRequest> {
    public static final Socks4ClientEncoder INSTANCE = new Socks4ClientEncoder();

    /** The longest USERID sent, in bytes. */
    public static final int MAX_USERID_LENGTH = Socks4ServerDecoder.MAX_USERID_LENGTH;

    private static final int FIXED_PART = 8;

    private Socks4ClientEncoder() {
        super(Socks4CommandRequest.class);
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Socks4CommandRequest msg, boolean preferDirect) {
        return ctx.alloc().ioBuffer(encodedLength(msg));
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Socks4CommandRequest msg, ByteBuf out) {
        encode(msg, out);
    }

    /**
     * Writes the request.
     *
     * @throws IllegalArgumentException when SOCKS4 cannot carry the request; nothing is written then
     */
    public static void encode(Socks4CommandRequest msg, ByteBuf out) {
        check(msg);
        SocksAddress dst = msg.dst();
        out.writeByte(4);
        out.writeByte(msg.type().byteValue());
        out.writeShort(dst.port());
        if (dst.isDomain()) {
            // SOCKS4a: 0.0.0.x with x != 0 says "a host name follows the USERID".
            out.writeInt(1);
        } else {
            out.writeBytes(dst.inetAddress().getAddress());
        }
        out.writeCharSequence(msg.userId(), StandardCharsets.ISO_8859_1);
        out.writeByte(0);
        if (dst.isDomain()) {
            out.writeCharSequence(dst.host(), StandardCharsets.ISO_8859_1);
            out.writeByte(0);
        }
    }

    /** The bytes {@link #encode} writes for {@code msg}. */
    public static int encodedLength(Socks4CommandRequest msg) {
        int length = FIXED_PART + msg.userId().length() + 1;
        return msg.dst().isDomain() ? length + msg.dst().host().length() + 1 : length;
    }

    private static void check(Socks4CommandRequest msg) {
        switch (msg.dst().type()) {
            case IPV6:
                throw new IllegalArgumentException("SOCKS4 cannot carry an IPv6 destination: " + msg.dst());
            case DOMAIN:
                checkNoNul("SOCKS4a host name", msg.dst().host());
                break;
            default:
                break;
        }
        String userId = msg.userId();
        if (userId.length() > MAX_USERID_LENGTH) {
            throw new IllegalArgumentException(
                    "USERID: " + userId.length() + " bytes (expected: 0-" + MAX_USERID_LENGTH + ")");
        }
        checkNoNul("USERID", userId);
        for (int i = 0; i < userId.length(); i++) {
            if (userId.charAt(i) > 0xFF) {
                throw new IllegalArgumentException("USERID: char " + i + " is not a single byte");
            }
        }
    }

    private static void checkNoNul(String field, String value) {
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(field + " contains a NUL byte, which would end it on the wire");
        }
    }
}
