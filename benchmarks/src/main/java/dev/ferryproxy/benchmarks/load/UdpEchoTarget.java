package dev.ferryproxy.benchmarks.load;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;

/** Sends every datagram back to its sender; the payload buffer is handed on, not copied. */
@Sharable
final class UdpEchoTarget extends ChannelInboundHandlerAdapter {
    static final UdpEchoTarget INSTANCE = new UdpEchoTarget();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof DatagramPacket) {
            DatagramPacket packet = (DatagramPacket) msg;
            // The reply takes over the payload, so the packet is not released here.
            ctx.write(new DatagramPacket(packet.content(), packet.sender()), ctx.voidPromise());
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // a datagram socket outlives errors such as ICMP port unreachable
    }
}
