package dev.ferryproxy.internal;

import io.netty.channel.ChannelPipeline;

/**
 * Names of the handlers in a client connection's pipeline, in pipeline order.
 *
 * <pre>
 * handshakeTimeout  HandshakeTimeoutHandler   closes a handshake that takes too long
 * proxyProtocol     ProxyProtocolHandler      (listeners with PROXY protocol on) reads byte 0, leaves;
 *                                             on a header it installs, in its place:
 * proxyProtocolDecoder  HAProxyMessageDecoder  one PROXY v1/v2 header, then leaves
 * proxyProtocolHeader   its HeaderHandler      records the client address, then leaves
 * detector          SocksVersionDetector      reads byte 0, installs the version's handlers, leaves
 * decoder           Socks4ServerDecoder | Socks5InitialRequestDecoder, then
 *                   Socks5CommandRequestDecoder   one frame each, replaced as the handshake goes
 * encoder           Socks4ServerEncoder | Socks5ServerEncoder
 * handshake         Socks4HandshakeHandler | Socks5HandshakeHandler
 *   replaced by
 * command           ConnectCommandHandler     dials the target and sends the reply
 *                   | BindCommandHandler      listens for the peer and sends both replies
 *   all of the above leave the pipeline when the tunnel is up, and then there is only
 * splice            SpliceRelay               (relay splice only, once splicing began) in front of
 * relay             RelayHandler              (on the target channel too)
 * </pre>
 *
 * <p>The target channel's pipeline (or BIND's accepted peer's) holds {@code earlyInbound}
 * (EarlyInboundHolder) from connect until the relay joins it, then only {@code relay}.
 */
public final class PipelineNames {
    public static final String HANDSHAKE_TIMEOUT = "handshakeTimeout";
    public static final String PROXY_PROTOCOL = "proxyProtocol";
    public static final String PROXY_PROTOCOL_DECODER = "proxyProtocolDecoder";
    public static final String PROXY_PROTOCOL_HEADER = "proxyProtocolHeader";
    public static final String DETECTOR = "detector";
    public static final String DECODER = "decoder";
    public static final String ENCODER = "encoder";
    public static final String HANDSHAKE = "handshake";
    public static final String COMMAND = "command";
    public static final String RELAY = "relay";
    public static final String EARLY_INBOUND = "earlyInbound";

    private PipelineNames() {
    }

    /**
     * Removes every handshake handler still present. The decoder goes last: Netty hands its
     * leftover bytes (payload the client sent right behind its request) to the handler after it,
     * which by then must be the relay.
     */
    public static void removeHandshakeHandlers(ChannelPipeline pipeline) {
        removeIfPresent(pipeline, HANDSHAKE_TIMEOUT);
        removeIfPresent(pipeline, DETECTOR);
        removeIfPresent(pipeline, HANDSHAKE);
        removeIfPresent(pipeline, COMMAND);
        removeIfPresent(pipeline, ENCODER);
        removeIfPresent(pipeline, DECODER);
    }

    /** Removes the named handler if the pipeline still has it. */
    public static void removeIfPresent(ChannelPipeline pipeline, String name) {
        if (pipeline.context(name) != null) {
            pipeline.remove(name);
        }
    }
}
