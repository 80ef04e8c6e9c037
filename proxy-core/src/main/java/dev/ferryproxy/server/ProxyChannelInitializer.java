package dev.ferryproxy.server;

import dev.ferryproxy.handshake.HandshakeTimeoutHandler;
import dev.ferryproxy.handshake.ProxyServices;
import dev.ferryproxy.handshake.SocksVersionDetector;
import dev.ferryproxy.internal.PipelineNames;
import dev.ferryproxy.proxyprotocol.ProxyProtocolHandler;
import dev.ferryproxy.proxyprotocol.ProxyProtocolMode;
import dev.ferryproxy.proxyprotocol.ProxyProtocolSettings;
import dev.ferryproxy.proxyprotocol.ProxyProtocolStats;
import dev.ferryproxy.relay.RelaySettings;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;

import java.time.Duration;

/** Sets up each accepted client's pipeline (see {@link PipelineNames} for the order). */
final class ProxyChannelInitializer extends ChannelInitializer<Channel> {
    private final Duration handshakeTimeout;
    private final SocksVersionDetector detector;
    private final ProxyProtocolSettings proxyProtocol;
    private final ProxyProtocolStats proxyProtocolStats;
    private final RelaySettings relay;

    ProxyChannelInitializer(Duration handshakeTimeout, ProxyServices services) {
        this(handshakeTimeout, services, ProxyProtocolSettings.OFF, new ProxyProtocolStats());
    }

    ProxyChannelInitializer(Duration handshakeTimeout, ProxyServices services, ProxyProtocolSettings proxyProtocol,
            ProxyProtocolStats proxyProtocolStats) {
        this.handshakeTimeout = handshakeTimeout;
        this.detector = new SocksVersionDetector(services);
        this.proxyProtocol = proxyProtocol;
        this.proxyProtocolStats = proxyProtocolStats;
        this.relay = services.connector().relay();
    }

    @Override
    protected void initChannel(Channel ch) {
        relay.prepare(ch);
        ch.pipeline().addLast(PipelineNames.HANDSHAKE_TIMEOUT, new HandshakeTimeoutHandler(handshakeTimeout));
        if (proxyProtocol.mode() != ProxyProtocolMode.OFF) {
            ch.pipeline().addLast(PipelineNames.PROXY_PROTOCOL, new ProxyProtocolHandler(proxyProtocol, proxyProtocolStats));
        }
        ch.pipeline().addLast(PipelineNames.DETECTOR, detector);
    }
}
