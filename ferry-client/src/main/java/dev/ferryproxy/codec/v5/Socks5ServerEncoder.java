package dev.ferryproxy.codec.v5;

import dev.ferryproxy.codec.SocksAddressCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.MessageToByteEncoder;

/**
 * Encodes what a SOCKS5 server sends: {@link Socks5InitialResponse}, {@link Socks5PasswordAuthResponse}
 * and {@link Socks5CommandResponse}.
 */
@Sharable
public final class Socks5ServerEncoder extends MessageToByteEncoder<Object> {
    public static final Socks5ServerEncoder INSTANCE = new Socks5ServerEncoder();

    private Socks5ServerEncoder() {
    }

    @Override
    public boolean acceptOutboundMessage(Object msg) {
        return msg instanceof Socks5InitialResponse
                || msg instanceof Socks5PasswordAuthResponse
                || msg instanceof Socks5CommandResponse;
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Object msg, boolean preferDirect) {
        return ctx.alloc().ioBuffer(encodedLength(msg));
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Object msg, ByteBuf out) {
        encode(msg, out);
    }

    /** Writes one server message. */
    public static void encode(Object msg, ByteBuf out) {
        if (msg instanceof Socks5InitialResponse) {
            out.writeByte(5);
            out.writeByte(((Socks5InitialResponse) msg).method().byteValue());
        } else if (msg instanceof Socks5PasswordAuthResponse) {
            out.writeByte(1);
            out.writeByte(((Socks5PasswordAuthResponse) msg).status());
        } else if (msg instanceof Socks5CommandResponse) {
            Socks5CommandResponse response = (Socks5CommandResponse) msg;
            out.writeByte(5);
            out.writeByte(response.status().byteValue());
            out.writeByte(0);
            SocksAddressCodec.write(response.bnd(), out);
        } else {
            throw new EncoderException("not a SOCKS5 server message: " + msg.getClass().getName());
        }
    }

    private static int encodedLength(Object msg) {
        if (msg instanceof Socks5CommandResponse) {
            return 3 + SocksAddressCodec.encodedLength(((Socks5CommandResponse) msg).bnd());
        }
        return 2;
    }
}
