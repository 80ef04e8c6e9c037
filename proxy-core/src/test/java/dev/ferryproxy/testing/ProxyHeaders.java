package dev.ferryproxy.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;

/** PROXY protocol headers as a load balancer sends them, encoded by Netty's own encoder. */
public final class ProxyHeaders {
    private ProxyHeaders() {
    }

    /** A TCP4 PROXY header naming {@code source} as the client (port 40000) and 127.0.0.1:1080 as the listener. */
    public static byte[] header(HAProxyProtocolVersion version, String source) {
        return encode(new HAProxyMessage(version, HAProxyCommand.PROXY, HAProxyProxiedProtocol.TCP4,
                source, "127.0.0.1", 40_000, 1080));
    }

    /** {@code message} as bytes on the wire. */
    public static byte[] encode(HAProxyMessage message) {
        EmbeddedChannel channel = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
        channel.writeOutbound(message);
        ByteBuf encoded = channel.readOutbound();
        try {
            return ByteBufUtil.getBytes(encoded);
        } finally {
            encoded.release();
            channel.finishAndReleaseAll();
        }
    }
}
