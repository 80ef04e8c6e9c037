package dev.ferryproxy.connect;

import dev.ferryproxy.accesslog.EndReason;
import dev.ferryproxy.accesslog.TunnelRecord;
import dev.ferryproxy.internal.PipelineNames;
import dev.ferryproxy.limits.Direction;
import dev.ferryproxy.limits.TunnelLimits;
import dev.ferryproxy.metrics.ConnectionMetrics;
import dev.ferryproxy.relay.ReadThrottle;
import dev.ferryproxy.relay.RelayHandler;
import dev.ferryproxy.relay.RelayObserver;
import dev.ferryproxy.relay.RelaySettings;
import dev.ferryproxy.relay.SpliceRelay;
import dev.ferryproxy.relay.TunnelIdleTimer;
import io.netty.channel.Channel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;

/**
 * Starts the relay of a tunnel once its success reply is written: CONNECT's to its target, and
 * BIND's to the peer that connected. Both sides have waited with auto-read off; what they hold
 * back (payload the client sent behind its request, bytes the other side sent early, an end of
 * input) reaches the relay before either side reads again.
 */
public final class TunnelStart {
    private TunnelStart() {
    }

    /**
     * Joins {@code client} and {@code outbound} (on the same event loop) with relays, records the
     * tunnel for the meters and the access log, starts its idle timer, removes the handshake
     * handlers, and starts reading both sides; closes both when either hung up meanwhile. With
     * splice on, each direction then splices, once what was held back has passed.
     */
    public static void afterSuccessReply(Channel client, Channel outbound, RelaySettings settings) {
        afterSuccessReply(client, outbound, settings, TunnelLimits.NONE);
    }

    /**
     * As above, with the tunnel's bytes charged to its limits: bandwidth paces each direction's
     * reading, a spent quota closes it. Such a tunnel relays in buffers even with splice on, since
     * spliced bytes never pass the relay handlers that count them.
     */
    public static void afterSuccessReply(Channel client, Channel outbound, RelaySettings settings, TunnelLimits limits) {
        ConnectionMetrics metrics = ConnectionMetrics.of(client);
        TunnelRecord record = TunnelRecord.of(client);
        record.dialled(outbound.remoteAddress());
        RelayObserver observer = record.and(TunnelIdleTimer.start(client, outbound, settings.idleTimeout(),
                () -> record.closing(EndReason.IDLE_TIMEOUT)));
        boolean charged = limits.limitsBytes();
        ReadThrottle up = charged ? limits.throttle(Direction.UP) : ReadThrottle.NONE;
        ReadThrottle down = charged ? limits.throttle(Direction.DOWN) : ReadThrottle.NONE;
        RelayHandler.join(client, outbound, PipelineNames.RELAY, metrics.clientToTargetBytes(),
                metrics.targetToClientBytes(), observer, up, down);
        metrics.tunnelOpened(client);
        // Both removals hand what was held back (client payload, early bytes from the other side) to the relays.
        PipelineNames.removeHandshakeHandlers(client.pipeline());
        PipelineNames.removeIfPresent(outbound.pipeline(), PipelineNames.EARLY_INBOUND);
        if (!client.isActive() || !outbound.isActive()) {
            // A side hung up while the reply was on its way: its inactive event came before the relay.
            client.close();
            outbound.close();
            return;
        }
        if (((DuplexChannel) client).isInputShutdown()) {
            // The client's EOF came while it waited; the relay must pass it on.
            client.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
        RelayHandler.setReading(client, true);
        RelayHandler.setReading(outbound, true);
        if (settings.splice() && !charged) {
            // A task, so that it runs after the replay a parent proxy's handshake hold queued when
            // reading began: spliced bytes must not overtake held ones. Reads until then go in buffers.
            client.eventLoop().execute(() -> {
                SpliceRelay.start(client, outbound, PipelineNames.RELAY, metrics.clientToTargetBytes(), observer);
                SpliceRelay.start(outbound, client, PipelineNames.RELAY, metrics.targetToClientBytes(), observer);
            });
        }
    }
}
