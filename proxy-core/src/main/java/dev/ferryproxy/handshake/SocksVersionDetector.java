package dev.ferryproxy.handshake;

import dev.ferryproxy.codec.SocksVersion;
import dev.ferryproxy.codec.v4.Socks4ServerDecoder;
import dev.ferryproxy.codec.v4.Socks4ServerEncoder;
import dev.ferryproxy.codec.v5.Socks5InitialRequestDecoder;
import dev.ferryproxy.codec.v5.Socks5ServerEncoder;
import dev.ferryproxy.internal.PipelineNames;
import dev.ferryproxy.metrics.ConnectionMetrics;
import dev.ferryproxy.metrics.HandshakeOutcome;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves SOCKS4, SOCKS4a and SOCKS5 on one port: the first byte of the first read picks the
 * version, this handler installs that version's decoder, encoder and handshake handler after
 * itself, leaves the pipeline, and passes the read on to them. Any other first byte is not SOCKS
 * and is closed without a reply, since there is no protocol to reply in.
 */
@Sharable
public final class SocksVersionDetector extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(SocksVersionDetector.class);

    private final ProxyServices services;
    /** Stateless, so shared; SOCKS5's handler holds its connection's policy and is made per connection. */
    private final Socks4HandshakeHandler socks4Handshake;

    public SocksVersionDetector(ProxyServices services) {
        this.services = services;
        this.socks4Handshake = new Socks4HandshakeHandler(services);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf) || !((ByteBuf) msg).isReadable()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ByteBuf first = (ByteBuf) msg;
        Channel channel = ctx.channel();
        // A connection through a trusted load balancer is counted now, for the client its header named.
        if (!services.admission().isAdmitted(channel)
                && !services.admission().admitConnection(channel, ClientAttributes.clientAddress(channel))) {
            first.release();
            ctx.close();
            return;
        }
        byte firstByte = first.getByte(first.readerIndex());
        SocksVersion version = SocksVersion.fromFirstByte(firstByte);
        ConnectionMetrics metrics = ConnectionMetrics.of(ctx.channel());
        metrics.versionDetected(version);
        if (version == null) {
            metrics.handshake(null, HandshakeOutcome.MALFORMED);
            log.debug("connection from {} starts with 0x{}, which is no SOCKS version; closing",
                    ClientAttributes.clientSocketAddress(ctx.channel()), Integer.toHexString(firstByte & 0xFF));
            first.release();
            ctx.close();
            return;
        }
        ChannelPipeline pipeline = ctx.pipeline();
        if (version == SocksVersion.SOCKS5) {
            pipeline.addAfter(ctx.name(), PipelineNames.DECODER, new Socks5InitialRequestDecoder());
            pipeline.addAfter(PipelineNames.DECODER, PipelineNames.ENCODER, Socks5ServerEncoder.INSTANCE);
            pipeline.addAfter(PipelineNames.ENCODER, PipelineNames.HANDSHAKE, new Socks5HandshakeHandler(services));
        } else {
            pipeline.addAfter(ctx.name(), PipelineNames.DECODER, new Socks4ServerDecoder());
            pipeline.addAfter(PipelineNames.DECODER, PipelineNames.ENCODER, Socks4ServerEncoder.INSTANCE);
            pipeline.addAfter(PipelineNames.ENCODER, PipelineNames.HANDSHAKE, socks4Handshake);
        }
        pipeline.remove(this);
        ctx.fireChannelRead(first);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("connection from {} failed before its first byte: {}", ClientAttributes.clientSocketAddress(ctx.channel()), cause.toString());
        ctx.close();
    }
}
