package dev.ferryproxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EarlyInboundHolderTest {
    /** Stands where the relay will stand: records what reaches it, in order. */
    private static final class Recorder extends ChannelInboundHandlerAdapter {
        final List<String> events = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            events.add("read:" + ((ByteBuf) msg).toString(StandardCharsets.US_ASCII));
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            events.add("readComplete");
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            events.add(evt instanceof ChannelInputShutdownEvent ? "inputShutdown" : "event");
        }
    }

    @Test
    void holdsReadsAndEndOfInputUntilRemovedThenReplaysThemInOrder() {
        EarlyInboundHolder holder = new EarlyInboundHolder();
        Recorder relay = new Recorder();
        EmbeddedChannel target = new EmbeddedChannel(holder, relay);

        target.writeInbound(ascii("220 banner"));
        target.writeInbound(ascii(" more"));
        target.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertThat(relay.events).as("nothing passes before the relay is joined").isEmpty();

        target.pipeline().remove(holder);

        assertThat(relay.events).containsExactly("read:220 banner", "read: more", "readComplete", "inputShutdown");
        assertThat(target.finishAndReleaseAll()).isFalse();
    }

    @Test
    void removedWithNothingHeldFiresNothing() {
        EarlyInboundHolder holder = new EarlyInboundHolder();
        Recorder relay = new Recorder();
        EmbeddedChannel target = new EmbeddedChannel(holder, relay);

        target.pipeline().remove(holder);

        assertThat(relay.events).isEmpty();
        target.finishAndReleaseAll();
    }

    @Test
    void heldBuffersAreReleasedWhenTheChannelClosesBeforeAnyRelay() {
        EmbeddedChannel target = new EmbeddedChannel(new EarlyInboundHolder());
        ByteBuf early = ascii("never relayed");
        target.writeInbound(early);

        target.close(); // the pipeline is torn down: held reads go to the tail, which releases them

        assertThat(early.refCnt()).isZero();
        target.finishAndReleaseAll();
    }

    private static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }
}
