package dev.ferryproxy.proxyprotocol;

import dev.ferryproxy.handshake.ClientAttributes;
import dev.ferryproxy.internal.PipelineNames;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Reads the PROXY protocol header (v1 or v2) of one connection on a listener where it is optional
 * or required, and records the client address it names in {@link ClientAttributes#PROXIED_CLIENT},
 * before the SOCKS detector sees a byte.
 *
 * <p>The first byte decides: {@code P} (v1, "PROXY ") or {@code 0x0D} (the v2 signature) is a
 * header, anything else is SOCKS (0x04, 0x05) or garbage, which the SOCKS detector closes. A
 * header from a peer outside the trusted networks is refused, on optional listeners too: it is
 * never silently read as SOCKS. On a header, Netty's {@link HAProxyMessageDecoder} is put after
 * this handler with {@link HeaderHandler} behind it; the decoder leaves once it has one header and
 * hands the bytes behind it to the SOCKS detector. A LOCAL header (a load balancer's health check)
 * and one for an unknown or UNIX family keep the connection's own address.
 *
 * <p>Rejections (no header where required, untrusted source, invalid header, header timeout)
 * close the connection, log one line at WARN and are counted in {@link ProxyProtocolStats}.
 */
public final class ProxyProtocolHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ProxyProtocolHandler.class);

    private final ProxyProtocolSettings settings;
    private final ProxyProtocolStats stats;
    private ScheduledFuture<?> timeout;
    private boolean decided;
    private boolean finished;

    public ProxyProtocolHandler(ProxyProtocolSettings settings, ProxyProtocolStats stats) {
        if (settings.mode() == ProxyProtocolMode.OFF) {
            throw new IllegalArgumentException("PROXY protocol is off for this listener");
        }
        this.settings = settings;
        this.stats = stats;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            schedule(ctx.channel());
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        schedule(ctx.channel());
        ctx.fireChannelActive();
    }

    private void schedule(Channel channel) {
        if (timeout == null && !finished) {
            timeout = channel.eventLoop().schedule(() -> {
                if (!finished && channel.isOpen()) {
                    reject(channel, (decided ? "sent no complete PROXY protocol header" : "sent nothing")
                            + " within " + settings.headerTimeout().toMillis() + " ms");
                }
            }, settings.headerTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf) || !((ByteBuf) msg).isReadable()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ByteBuf first = (ByteBuf) msg;
        byte firstByte = first.getByte(first.readerIndex());
        boolean header = firstByte == 'P' || firstByte == 0x0D;
        Channel channel = ctx.channel();
        if (!header) {
            if (settings.mode() == ProxyProtocolMode.REQUIRED) {
                first.release();
                reject(channel, "sent no PROXY protocol header (first byte 0x"
                        + Integer.toHexString(firstByte & 0xFF) + "), which this listener requires");
                return;
            }
            finish();
            ctx.pipeline().remove(this);
            ctx.fireChannelRead(first);
            return;
        }
        InetAddress peer = ((InetSocketAddress) channel.remoteAddress()).getAddress();
        if (!settings.trusts(peer)) {
            first.release();
            reject(channel, "sent a PROXY protocol header but is not among the trusted sources "
                    + settings.trustedSources());
            return;
        }
        decided = true;
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.addAfter(ctx.name(), PipelineNames.PROXY_PROTOCOL_DECODER, new HAProxyMessageDecoder());
        pipeline.addAfter(PipelineNames.PROXY_PROTOCOL_DECODER, PipelineNames.PROXY_PROTOCOL_HEADER,
                new HeaderHandler());
        pipeline.remove(this);
        ctx.fireChannelRead(first);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("connection from {} failed before its PROXY protocol header: {}", ctx.channel().remoteAddress(),
                cause.toString());
        ctx.close();
    }

    private void finish() {
        finished = true;
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    private void reject(Channel channel, String why) {
        finish();
        stats.countRejected();
        log.warn("PROXY protocol: closing connection from {} to {} ({} listener): it {}",
                NetUtil.toSocketAddressString((InetSocketAddress) channel.remoteAddress()),
                NetUtil.toSocketAddressString((InetSocketAddress) channel.localAddress()),
                settings.mode().name().toLowerCase(Locale.ROOT), why);
        channel.close();
    }

    /** Takes the decoded header, records the client address, and leaves. */
    private final class HeaderHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof HAProxyMessage)) {
                ctx.fireChannelRead(msg);
                return;
            }
            HAProxyMessage header = (HAProxyMessage) msg;
            try {
                if (finished) {
                    return;
                }
                InetSocketAddress client = clientOf(header);
                if (client != null) {
                    ctx.channel().attr(ClientAttributes.PROXIED_CLIENT).set(client);
                }
                log.debug("PROXY protocol {} {} header from {}: client {}", header.protocolVersion(), header.command(),
                        ctx.channel().remoteAddress(), client != null ? client : "(the connection's own address)");
                finish();
                stats.countAccepted();
                ctx.pipeline().remove(this);
            } finally {
                header.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (finished) {
                ctx.fireExceptionCaught(cause);
                return;
            }
            Throwable reason = cause.getCause() != null ? cause.getCause() : cause;
            reject(ctx.channel(), "sent an invalid PROXY protocol header (" + reason.getMessage() + ")");
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            finish();
            ctx.fireChannelInactive();
        }
    }

    /** The client a PROXY header names, or null to keep the connection's own address. */
    private static InetSocketAddress clientOf(HAProxyMessage header) {
        if (header.command() != HAProxyCommand.PROXY) {
            return null;
        }
        HAProxyProxiedProtocol.AddressFamily family = header.proxiedProtocol().addressFamily();
        if (family != HAProxyProxiedProtocol.AddressFamily.AF_IPv4
                && family != HAProxyProxiedProtocol.AddressFamily.AF_IPv6) {
            return null;
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(header.sourceAddress());
        if (bytes == null) {
            return null;
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(bytes), header.sourcePort());
        } catch (java.net.UnknownHostException e) {
            return null; // a byte array of a valid length never fails
        }
    }
}
