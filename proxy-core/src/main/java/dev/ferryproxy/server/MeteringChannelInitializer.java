package dev.ferryproxy.server;

import dev.ferryproxy.accesslog.AccessLogSink;
import dev.ferryproxy.accesslog.TunnelRecord;
import dev.ferryproxy.handshake.ClientAttributes;
import dev.ferryproxy.metrics.ConnectionMetrics;
import dev.ferryproxy.metrics.ProxyMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;

/**
 * Starts metering each accepted client (accepted, active, and the attribute the later stages
 * record into), then hands the channel to the initializer that builds its pipeline. Kept apart
 * from {@link ProxyChannelInitializer} so that the pipeline's layout and its metering stay
 * separate concerns.
 */
final class MeteringChannelInitializer extends ChannelInitializer<Channel> {
    private final ProxyMetrics metrics;
    private final ChannelHandler pipelineInitializer;
    private final ChannelGroup clients;
    private final AccessLogSink accessLog;

    /** @param clients every accepted client joins it (and leaves it when it closes), for draining */
    MeteringChannelInitializer(ProxyMetrics metrics, ChannelHandler pipelineInitializer, ChannelGroup clients,
            AccessLogSink accessLog) {
        this.accessLog = accessLog;
        this.metrics = metrics;
        this.pipelineInitializer = pipelineInitializer;
        this.clients = clients;
    }

    @Override
    protected void initChannel(Channel ch) {
        clients.add(ch);
        ConnectionMetrics.attach(ch, metrics);
        if (accessLog != null) {
            TunnelRecord.attach(ch, accessLog, ClientAttributes::clientAddress);
        }
        ch.pipeline().addLast(pipelineInitializer);
    }
}
