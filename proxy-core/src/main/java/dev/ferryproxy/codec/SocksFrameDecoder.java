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
 */
public abstract class SocksFrameDecoder extends ByteToMessageDecoder {
    private enum State { AWAITING_FRAME, DONE, FAILED }

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
                // DONE: keep the bytes for whoever comes after this decoder.
                break;
        }
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
