package dev.ferryproxy.server;

import dev.ferryproxy.metrics.ConnectionMetrics;
import dev.ferryproxy.metrics.ProxyMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;

/**
 * Starts metering each accepted client (accepted, active, and the attribute the later stages
 * record into), then hands the channel to the initializer that builds its pipeline. Kept apart
 * from {@link ProxyChannelInitializer} so that the pipeline's layout and its metering stay
 * separate concerns.
 */
final class MeteringChannelInitializer extends ChannelInitializer<Channel> {
    private final ProxyMetrics metrics;
    private final ChannelHandler pipelineInitializer;

    MeteringChannelInitializer(ProxyMetrics metrics, ChannelHandler pipelineInitializer) {
        this.metrics = metrics;
        this.pipelineInitializer = pipelineInitializer;
    }

    @Override
    protected void initChannel(Channel ch) {
        ConnectionMetrics.attach(ch, metrics);
        ch.pipeline().addLast(pipelineInitializer);
    }
}
