package dev.ferryproxy.codec.v4;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksAddressType;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** Encodes {@link Socks4CommandResponse}: {@code VN=0, CD, DSTPORT(2), DSTIP(4)}. */
@Sharable
public final class Socks4ServerEncoder extends MessageToByteEncoder<Socks4CommandResponse> {
    public static final Socks4ServerEncoder INSTANCE = new Socks4ServerEncoder();

    private static final int REPLY_LENGTH = 8;

    private Socks4ServerEncoder() {
        super(Socks4CommandResponse.class);
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Socks4CommandResponse msg, boolean preferDirect) {
        return ctx.alloc().ioBuffer(REPLY_LENGTH);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Socks4CommandResponse msg, ByteBuf out) {
        encode(msg, out);
    }

    /** Writes the 8 reply bytes. */
    public static void encode(Socks4CommandResponse msg, ByteBuf out) {
        SocksAddress bound = msg.bound();
        out.writeByte(0);
        out.writeByte(msg.status().byteValue());
        out.writeShort(bound.port());
        if (bound.type() == SocksAddressType.IPV4) {
            out.writeBytes(bound.inetAddress().getAddress());
        } else {
            out.writeInt(0);
        }
    }
}
