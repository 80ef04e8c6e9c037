package dev.ferryproxy.server;

import dev.ferryproxy.handshake.HandshakeTimeoutHandler;
import dev.ferryproxy.handshake.ProxyServices;
import dev.ferryproxy.handshake.SocksVersionDetector;
import dev.ferryproxy.internal.PipelineNames;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;

import java.time.Duration;

/** Sets up each accepted client's pipeline (see {@link PipelineNames} for the order). */
final class ProxyChannelInitializer extends ChannelInitializer<Channel> {
    private final Duration handshakeTimeout;
    private final SocksVersionDetector detector;

    ProxyChannelInitializer(Duration handshakeTimeout, ProxyServices services) {
        this.handshakeTimeout = handshakeTimeout;
        this.detector = new SocksVersionDetector(services);
    }

    @Override
    protected void initChannel(Channel ch) {
        ch.pipeline()
                .addLast(PipelineNames.HANDSHAKE_TIMEOUT, new HandshakeTimeoutHandler(handshakeTimeout))
                .addLast(PipelineNames.DETECTOR, detector);
    }
}
