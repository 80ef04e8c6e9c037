package dev.ferryproxy.app.admin;

import dev.ferryproxy.logging.EveryFewSeconds;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The admin listener's connection caps ({@link AdminLimits}): in all, and per client address.
 * A full listener makes room by closing the oldest connection still waiting for its request's
 * head, so a crowd of slow clients cannot keep a probe out; only when every connection is busy
 * with a request is the new one refused. Every admin connection lives on the admin listener's one
 * event loop, so this state needs no lock.
 */
@ChannelHandler.Sharable
final class AdminConnections extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AdminConnections.class);
    private static final EveryFewSeconds REFUSAL_LOG = new EveryFewSeconds(5, TimeUnit.SECONDS);

    private final AdminLimits limits;
    /** Connections that have not sent a complete request head yet, oldest first. */
    private final Set<Channel> waiting = new LinkedHashSet<>();
    private final Map<InetAddress, Integer> perClient = new HashMap<>();
    private int open;
    private final Counter refusedTotal;
    private final Counter refusedPerClient;
    private final Counter evicted;

    AdminConnections(AdminLimits limits, MeterRegistry registry) {
        this.limits = limits;
        this.refusedTotal = refusals(registry, "refused_total_limit");
        this.refusedPerClient = refusals(registry, "refused_client_limit");
        this.evicted = refusals(registry, "evicted_waiting");
    }

    private static Counter refusals(MeterRegistry registry, String reason) {
        return Counter.builder("ferry.admin.connections.closed")
                .description("Admin connections closed by the listener's limits, by reason")
                .tag("reason", reason).register(registry);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel channel = ctx.channel();
        InetAddress client = ((InetSocketAddress) channel.remoteAddress()).getAddress();
        if (perClient.getOrDefault(client, 0) >= limits.maxConnectionsPerClient()) {
            refuse(channel, refusedPerClient, "more than " + limits.maxConnectionsPerClient() + " from " + client.getHostAddress());
            return;
        }
        if (open >= limits.maxConnections()) {
            if (waiting.isEmpty()) {
                refuse(channel, refusedTotal, "more than " + limits.maxConnections() + " connections, all serving requests");
                return;
            }
            Channel oldest = waiting.iterator().next();
            waiting.remove(oldest);
            evicted.increment();
            note("closed an admin connection from " + oldest.remoteAddress()
                    + " that had sent no complete request, to make room");
            oldest.close();
        }
        open++;
        perClient.merge(client, 1, Integer::sum);
        waiting.add(channel);
        channel.closeFuture().addListener(closed -> forget(channel, client));
        ctx.fireChannelActive();
    }

    /** The request's head is in: this connection is no longer one to make room with. */
    void requestArrived(Channel channel) {
        waiting.remove(channel);
    }

    private void forget(Channel channel, InetAddress client) {
        waiting.remove(channel);
        open--;
        perClient.computeIfPresent(client, (address, count) -> count > 1 ? count - 1 : null);
    }

    private void refuse(Channel channel, Counter counter, String why) {
        counter.increment();
        note("refused an admin connection from " + channel.remoteAddress() + ": " + why);
        channel.close();
    }

    private static void note(String line) {
        long heldBack = REFUSAL_LOG.admit();
        if (heldBack >= 0) {
            log.warn("{} (and {} more such since the last line)", line, heldBack);
        }
    }
}
