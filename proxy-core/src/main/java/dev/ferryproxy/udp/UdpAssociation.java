package dev.ferryproxy.udp;

import dev.ferryproxy.accesslog.EndReason;
import dev.ferryproxy.accesslog.TunnelRecord;
import dev.ferryproxy.command.CommandContext;
import dev.ferryproxy.connect.Upstream;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * One live UDP association: the control connection that made it, its relay socket, and its
 * counters. It lives as long as both: when the control connection closes the relay socket is
 * closed, and when the relay socket closes (idle timeout, socket error) the control connection is
 * closed. Either way everything it holds is released and the service forgets it.
 *
 * <p>Both channels run on the control connection's event loop, so nothing here needs locking;
 * the getters may be called from any thread.
 */
public final class UdpAssociation {
    private static final Logger log = LoggerFactory.getLogger(UdpAssociation.class);

    /** The name of the control connection's handler once the association runs. */
    public static final String CONTROL_HANDLER_NAME = "udpControl";
    /** The name of the relay socket's handler. */
    public static final String RELAY_HANDLER_NAME = "udpRelay";

    private final UdpAssociateService service;
    private final Channel control;
    private final DatagramChannel relay;
    /** The relay's bound address, kept: a closed channel may no longer know it. */
    private final InetSocketAddress relayAddress;
    private final UdpClientEndpoint client;
    private final Map<String, Upstream> upstreams;
    private final InetSocketAddress advertised;
    private final String who;
    private final UdpStats stats;
    private final UdpIdleTimer idle;
    private final UdpDestinationTable destinations;
    private final UdpDestinationSender sender;
    private final UdpRelayHandler relayHandler;
    private volatile String endReason;

    UdpAssociation(UdpAssociateService service, CommandContext command, Channel control, DatagramChannel relay,
            UdpClientEndpoint client, InetSocketAddress advertised, Map<String, Upstream> upstreams) {
        this.service = service;
        this.upstreams = upstreams;
        this.control = control;
        this.relay = relay;
        this.relayAddress = (InetSocketAddress) relay.localAddress();
        this.client = client;
        this.advertised = advertised;
        this.who = NetUtil.toAddressString(client.ip())
                + (command.user() != null ? " (user '" + command.user() + "')" : "");
        UdpSettings settings = service.settings();
        this.stats = UdpStats.of(service.totals());
        this.idle = new UdpIdleTimer(relay.eventLoop(), settings.idleTimeout(),
                () -> {
                    TunnelRecord.of(control).closing(EndReason.IDLE_TIMEOUT);
                    end("idle for " + settings.idleTimeout());
                });
        this.destinations = new UdpDestinationTable(command.accessRequest(), command.rules(), service.resolver(),
                relay.eventLoop(), settings.maxDestinations(),
                relayAddress.getAddress() instanceof Inet6Address, who);
        this.sender = service.newSender(this);
        this.relayHandler = new UdpRelayHandler(this, client, destinations,
                UdpRateLimiter.perSecond(settings.maxPacketsPerSecond(), System.nanoTime()), sender, stats, settings);
    }

    /**
     * Starts relaying: both channels read from now on. Called on the event loop, once the success
     * reply is out and the handshake handlers are gone.
     */
    void start() {
        service.opened(this);
        TunnelRecord.of(control).udp(relayAddress, stats::bytesToTargets, stats::bytesToClient);
        relay.pipeline().addLast(RELAY_HANDLER_NAME, relayHandler);
        idle.start(System.nanoTime());
        relay.closeFuture().addListener(f -> ended());
        control.closeFuture().addListener(f -> end("the control connection closed"));
        log.debug("UDP association of {}: relay on {} (advertised {}), client {}", who,
                NetUtil.toSocketAddressString(relayAddress()), NetUtil.toSocketAddressString(advertised), client);
        if (!control.isActive() || (control instanceof DuplexChannel && ((DuplexChannel) control).isInputShutdown())) {
            // The client left, or ended its input, while the reply was on its way.
            end("the control connection closed");
            return;
        }
        control.config().setAutoRead(true);
        relay.config().setAutoRead(true);
    }

    /** Notes relayed traffic, for the idle timeout. */
    void touch(long nowNanos) {
        idle.touch(nowNanos);
    }

    /** Ends the association (idempotent): both channels close, and {@code reason} is what the log says. */
    void end(String reason) {
        if (endReason == null) {
            endReason = reason;
        }
        relay.close();
        control.close();
    }

    /** Runs once, when the relay socket has closed. */
    private void ended() {
        control.close();
        idle.stop();
        destinations.close();
        try {
            sender.close();
        } finally {
            service.closed(this);
            log.debug("UDP association of {} on port {} ended ({}): {}", who, relayAddress().getPort(),
                    endReason == null ? "the relay socket closed" : endReason, stats);
        }
    }

    /**
     * Relays {@code payload} from {@code source} to the client, with a SOCKS header naming
     * {@code source}: for {@link UdpDestinationSender}s that receive replies elsewhere than on the
     * relay socket. Takes ownership of {@code payload}. May be called from any thread.
     */
    public void relayToClient(InetSocketAddress source, ByteBuf payload) {
        EventLoop loop = relay.eventLoop();
        if (!loop.inEventLoop()) {
            try {
                loop.execute(() -> relayToClient(source, payload));
            } catch (RuntimeException e) {
                payload.release();
                throw e;
            }
            return;
        }
        if (!relay.isActive()) {
            payload.release();
            return;
        }
        relayHandler.toClient(source, payload);
        relay.flush();
    }

    /** The relay socket, for {@link DirectUdpSender}. */
    Channel relayChannel() {
        return relay;
    }

    /** The event loop both channels run on. */
    public EventLoop eventLoop() {
        return relay.eventLoop();
    }

    /** The client's IP address (its control connection's). */
    public InetAddress clientAddress() {
        return client.ip();
    }

    /** The relay socket's own address (a wildcard address and the relay port). */
    public InetSocketAddress relayAddress() {
        return relayAddress;
    }

    /** The address and port the reply gave the client. */
    public InetSocketAddress advertisedAddress() {
        return advertised;
    }

    /** The upstreams, by name, that destinations' rules may route through. */
    public Map<String, Upstream> upstreams() {
        return upstreams;
    }

    /** This association's counters. */
    public UdpStats stats() {
        return stats;
    }

    /** Whether it still relays. */
    public boolean isOpen() {
        return relay.isOpen();
    }

    /** Completes when the relay socket has closed. */
    public Future<Void> closeFuture() {
        return relay.closeFuture();
    }

    @Override
    public String toString() {
        return "UdpAssociation[" + who + ", relay port " + relayAddress().getPort() + ", "
                + (isOpen() ? "open" : "ended") + "]";
    }
}
