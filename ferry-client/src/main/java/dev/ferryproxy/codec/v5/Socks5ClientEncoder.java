package dev.ferryproxy.codec.v5;

import dev.ferryproxy.codec.SocksAddressCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.MessageToByteEncoder;

/**
 * Encodes what a SOCKS5 client sends: {@link Socks5InitialRequest} ({@code VER=5, NMETHODS,
 * METHODS}), {@link Socks5PasswordAuthRequest} ({@code VER=1, ULEN, UNAME, PLEN, PASSWD}, RFC 1929)
 * and {@link Socks5CommandRequest} ({@code VER=5, CMD, RSV=0, ATYP, DST.ADDR, DST.PORT}).
 *
 * <p>The messages check their own limits when they are made (1..255 methods, 1..255 bytes of user
 * name and password, domain names of 1..255 bytes), so every message encodes.
 */
@Sharable
public final class Socks5ClientEncoder extends MessageToByteEncoder<Object> {
    public static final Socks5ClientEncoder INSTANCE = new Socks5ClientEncoder();

    private Socks5ClientEncoder() {
    }

    @Override
    public boolean acceptOutboundMessage(Object msg) {
        return msg instanceof Socks5InitialRequest
                || msg instanceof Socks5PasswordAuthRequest
                || msg instanceof Socks5CommandRequest;
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Object msg, boolean preferDirect) {
        return ctx.alloc().ioBuffer(encodedLength(msg));
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Object msg, ByteBuf out) {
        encode(msg, out);
    }

    /** Writes one client message. */
    public static void encode(Object msg, ByteBuf out) {
        if (msg instanceof Socks5InitialRequest) {
            Socks5InitialRequest greeting = (Socks5InitialRequest) msg;
            out.writeByte(5);
            out.writeByte(greeting.methods().size());
            for (Socks5AuthMethod method : greeting.methods()) {
                out.writeByte(method.byteValue());
            }
        } else if (msg instanceof Socks5PasswordAuthRequest) {
            Socks5PasswordAuthRequest login = (Socks5PasswordAuthRequest) msg;
            byte[] username = login.username();
            byte[] password = login.password();
            out.writeByte(1);
            out.writeByte(username.length);
            out.writeBytes(username);
            out.writeByte(password.length);
            out.writeBytes(password);
        } else if (msg instanceof Socks5CommandRequest) {
            Socks5CommandRequest request = (Socks5CommandRequest) msg;
            out.writeByte(5);
            out.writeByte(request.type().byteValue());
            out.writeByte(0);
            SocksAddressCodec.write(request.dst(), out);
        } else {
            throw new EncoderException("not a SOCKS5 client message: " + msg.getClass().getName());
        }
    }

    /** The bytes {@link #encode} writes for {@code msg}. */
    public static int encodedLength(Object msg) {
        if (msg instanceof Socks5InitialRequest) {
            return 2 + ((Socks5InitialRequest) msg).methods().size();
        }
        if (msg instanceof Socks5PasswordAuthRequest) {
            Socks5PasswordAuthRequest login = (Socks5PasswordAuthRequest) msg;
            return 3 + login.username().length + login.password().length;
        }
        if (msg instanceof Socks5CommandRequest) {
            return 3 + SocksAddressCodec.encodedLength(((Socks5CommandRequest) msg).dst());
        }
        return 0;
    }
}
