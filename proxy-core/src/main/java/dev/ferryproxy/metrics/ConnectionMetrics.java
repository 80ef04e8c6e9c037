package dev.ferryproxy.metrics;

import dev.ferryproxy.codec.SocksVersion;
import dev.ferryproxy.policy.Command;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.LongAdder;

/**
 * The meters one client connection records into, kept as a channel attribute so that every stage
 * of the pipeline can reach them without being handed them. A channel without one (a handler
 * tested on its own) records nowhere.
 *
 * <p>Only the connection's event loop uses an instance, so its state needs no synchronisation.
 * A handshake is counted once, at the first reply that ends or answers it: a BIND's second reply
 * and the close after a failure are not counted again.
 */
public final class ConnectionMetrics {
    private static final AttributeKey<ConnectionMetrics> KEY = AttributeKey.valueOf(ConnectionMetrics.class, "metrics");
    private static final ConnectionMetrics NONE = new ConnectionMetrics(ProxyMetrics.create(null), System.nanoTime());

    private final ProxyMetrics metrics;
    private final long acceptedNanos;
    private ProxyMetrics.UserMeters user;
    private boolean handshakeCounted;

    private ConnectionMetrics(ProxyMetrics metrics, long acceptedNanos) {
        this.metrics = metrics;
        this.acceptedNanos = acceptedNanos;
        this.user = metrics.untagged();
    }

    /**
     * Starts metering a channel just accepted by the listener at its parent's local address:
     * counts it as accepted and active until it closes.
     */
    public static void attach(Channel channel, ProxyMetrics metrics) {
        ProxyMetrics.ListenerMeters listener = metrics.listener((InetSocketAddress) channel.parent().localAddress());
        listener.opened();
        channel.closeFuture().addListener(listener.onClose());
        channel.attr(KEY).set(new ConnectionMetrics(metrics, System.nanoTime()));
    }

    /** The channel's meters, or ones that record nowhere. */
    public static ConnectionMetrics of(Channel channel) {
        ConnectionMetrics metrics = channel.attr(KEY).get();
        return metrics != null ? metrics : NONE;
    }

    /**
     * The user this connection logged in as (RFC 1929; {@code null}: none): its handshake and
     * relayed bytes count under that user's {@code user} tag from now on, when per-user tags are
     * on. Looked up once here, so the relay never looks anything up.
     */
    public void user(String name) {
        user = metrics.forUser(name);
    }

    /** The first byte named this SOCKS version, or none ({@code null}). */
    public void versionDetected(SocksVersion version) {
        metrics.versionDetected(version);
    }

    /**
     * Counts the handshake's outcome, the first time only; a success also records the time since
     * accept.
     *
     * @param command the command asked for, or {@code null} when none was (or it is unknown)
     */
    public void handshake(Command command, HandshakeOutcome outcome) {
        if (handshakeCounted) {
            return;
        }
        handshakeCounted = true;
        metrics.handshake(user, command, outcome, acceptedNanos);
    }

    /** Records how long dialling a target took, from {@code startNanos} ({@link System#nanoTime()}). */
    public void targetConnected(long startNanos, boolean ok) {
        metrics.recordConnect(startNanos, ok);
    }

    /** Records how long resolving a target's name took, from {@code startNanos}. */
    public void nameResolved(long startNanos, boolean ok) {
        metrics.recordDns(startNanos, ok);
    }

    /** Counts a tunnel as active until the client's channel closes. */
    public void tunnelOpened(Channel client) {
        metrics.tunnels().incrementAndGet();
        client.closeFuture().addListener(metrics.tunnelClosed());
    }

    /** What the relay adds the bytes read from the client to. */
    public LongAdder clientToTargetBytes() {
        return user.clientToTarget;
    }

    /** What the relay adds the bytes read from the target to. */
    public LongAdder targetToClientBytes() {
        return user.targetToClient;
    }
}
