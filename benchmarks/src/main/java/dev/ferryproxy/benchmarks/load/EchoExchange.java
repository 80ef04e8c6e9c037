package dev.ferryproxy.benchmarks.load;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;

import java.io.IOException;

/**
 * Sends a message to the echo target and completes when the same bytes have come back (they are
 * compared): one round trip. Stays in the pipeline for the next {@link #exchange} on the same
 * tunnel. Used by connect-rate, request-response and idle-tunnels.
 */
final class EchoExchange extends ChannelInboundHandlerAdapter {
    private final Channel channel;
    private final byte[] message;
    private int matched;
    private Promise<Void> pending;

    private EchoExchange(Channel channel, int size) {
        this.channel = channel;
        this.message = new byte[size];
        for (int i = 0; i < size; i++) {
            message[i] = (byte) (i * 31 + 7); // not all zeros, so a wrong byte shows
        }
    }

    /** Adds the handler to {@code channel} and starts reading; call on the channel's event loop. */
    static EchoExchange install(Channel channel, int size) {
        EchoExchange exchange = new EchoExchange(channel, size);
        channel.pipeline().addLast(exchange);
        channel.config().setAutoRead(true);
        return exchange;
    }

    /** Sends the message; the promise completes when it has all come back. Call on the event loop. */
    Promise<Void> exchange() {
        Promise<Void> done = channel.eventLoop().newPromise();
        if (pending != null && !pending.isDone()) {
            return done.setFailure(new IllegalStateException("an exchange is already under way"));
        }
        pending = done;
        matched = 0;
        channel.writeAndFlush(channel.alloc().buffer(message.length).writeBytes(message)).addListener(f -> {
            if (!f.isSuccess()) {
                done.tryFailure(f.cause());
            }
        });
        return done;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (!(msg instanceof ByteBuf)) {
                return;
            }
            ByteBuf in = (ByteBuf) msg;
            if (pending == null || pending.isDone()) {
                fail(new IOException("unexpected " + in.readableBytes() + " byte(s) from the echo target"));
                return;
            }
            while (in.isReadable()) {
                if (matched == message.length || in.readByte() != message[matched]) {
                    fail(new IOException("the echo differs from what was sent at byte " + matched));
                    return;
                }
                matched++;
            }
            if (matched == message.length) {
                pending.trySuccess(null);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // Only an exchange under way fails: every connect-rate cycle ends here, and an exception
        // made (and its stack filled in) for each one was 2 % of the generator's CPU.
        if (pending != null && !pending.isDone()) {
            fail(new IOException("the tunnel closed after " + matched + " of " + message.length + " echoed byte(s)"));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(cause);
        ctx.close();
    }

    private void fail(Throwable cause) {
        if (pending != null) {
            pending.tryFailure(cause);
        }
    }
}
