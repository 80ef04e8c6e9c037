package dev.ferryproxy.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Base of Ferry's handshake decoders: decodes exactly one frame, however it is split over reads.
 *
 * <p>A frame is parsed from the start of the cumulated bytes and consumed only once it is
 * complete, so a frame that arrives one byte per read decodes the same as a whole one. After the
 * frame the decoder holds every further byte untouched: the handler that replaces or removes it
 * receives them (Netty forwards a removed decoder's leftover bytes to the next handler), so a
 * pipelined request, or payload sent before the reply, is never lost. After a protocol fault
 * every further byte is discarded.
 *
 * <p>When the client's input ends after the frame (request, payload, FIN all sent at once), the
 * held bytes are kept too: Netty's decoder would release them on input shutdown.
 *
 * <p>What is held is bounded: once more than {@link #HELD_BYTES_LIMIT} wait behind the frame,
 * the decoder turns the channel's auto-read off, and whoever starts the relay turns it on again.
 * Below the limit the channel keeps reading, so a handshake step that waits (a CONNECT dialling
 * its target) need not toggle reading off and on, which costs two epoll_ctl calls per tunnel
 * (docs/performance.md, "Syscalls per tunnel").
 */
public abstract class SocksFrameDecoder extends ByteToMessageDecoder {
    private enum State { AWAITING_FRAME, DONE, FAILED }

    /**
     * The most bytes held behind a decoded frame before reading stops: the default write-buffer
     * high water mark, the same bound a relay keeps per direction. One more read (up to the
     * receive buffer's size) can land before the stop takes effect.
     */
    public static final int HELD_BYTES_LIMIT = 64 * 1024;

    private State state = State.AWAITING_FRAME;

    @Override
    protected final void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case AWAITING_FRAME:
                Object frame;
                try {
                    frame = decodeFrame(in);
                } catch (SocksProtocolException e) {
                    state = State.FAILED;
                    in.skipBytes(in.readableBytes());
                    throw e;
                }
                if (frame != null) {
                    state = State.DONE;
                    out.add(frame);
                }
                break;
            case FAILED:
                in.skipBytes(in.readableBytes());
                break;
            default:
                // DONE: keep the bytes for whoever comes after this decoder, up to the limit.
                if (in.readableBytes() > HELD_BYTES_LIMIT && ctx.channel().config().isAutoRead()) {
                    ctx.channel().config().setAutoRead(false);
                }
                break;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (state == State.DONE) {
            // Netty's decoder asks for another read when a read decoded nothing and auto-read is
            // off; after the frame that would undo whoever turned reading off (the limit above,
            // a login being checked, a BIND waiting): nothing after the frame is ours to decode.
            ctx.fireChannelReadComplete();
            return;
        }
        super.channelReadComplete(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (state == State.DONE && evt instanceof ChannelInputShutdownEvent) {
            ctx.fireUserEventTriggered(evt);
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    /**
     * Decodes one frame from the readable bytes of {@code in}.
     *
     * @return the frame, having consumed exactly its bytes; or {@code null}, having consumed
     *     nothing, when the frame is not complete yet
     * @throws SocksProtocolException when the bytes can never form a valid frame
     */
    protected abstract Object decodeFrame(ByteBuf in);
}
