package dev.ferryproxy.server;

import dev.ferryproxy.admission.Admission;
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

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;

/** Sets up each accepted client's pipeline (see {@link PipelineNames} for the order). */
final class ProxyChannelInitializer extends ChannelInitializer<Channel> {
    private final Duration handshakeTimeout;
    private final SocksVersionDetector detector;
    private final ProxyProtocolSettings proxyProtocol;
    private final ProxyProtocolStats proxyProtocolStats;
    private final RelaySettings relay;
    private final Admission admission;

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
        this.admission = services.admission();
    }

    @Override
    protected void initChannel(Channel ch) {
        InetAddress peer = ((InetSocketAddress) ch.remoteAddress()).getAddress();
        // A trusted load balancer's connections count for the client its PROXY header names, once
        // read (SocksVersionDetector); every other connection counts for its peer from the start,
        // so that silent connections take places too.
        boolean countedLater = proxyProtocol.mode() != ProxyProtocolMode.OFF && proxyProtocol.trusts(peer);
        if (!countedLater && !admission.admitConnection(ch, peer)) {
            ch.close();
            return;
        }
        relay.prepare(ch);
        ch.pipeline().addLast(PipelineNames.HANDSHAKE_TIMEOUT, new HandshakeTimeoutHandler(handshakeTimeout, admission));
        if (proxyProtocol.mode() != ProxyProtocolMode.OFF) {
            ch.pipeline().addLast(PipelineNames.PROXY_PROTOCOL, new ProxyProtocolHandler(proxyProtocol, proxyProtocolStats));
        }
        ch.pipeline().addLast(PipelineNames.DETECTOR, detector);
    }
}
