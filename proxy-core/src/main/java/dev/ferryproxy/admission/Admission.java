package dev.ferryproxy.admission;

import dev.ferryproxy.logging.EveryFewSeconds;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server's admission limits ({@link AdmissionLimits}) at work: every accepted connection takes
 * a place in all, each client's connections and handshakes take places in that client's share,
 * and each UDP association one of its own. A place is given back when its connection closes (a
 * handshake's, when the handshake ends). A refusal is counted by reason and logged, one line per
 * few seconds for a flood; the caller answers with the protocol's reply where there is one.
 */
public final class Admission {
    private static final Logger log = LoggerFactory.getLogger(Admission.class);
    private static final AttributeKey<InetAddress> ADMITTED_CLIENT = AttributeKey.valueOf("ferry.admittedClient");
    private static final AttributeKey<Boolean> IN_HANDSHAKE = AttributeKey.valueOf("ferry.inHandshake");

    private final AdmissionLimits limits;
    private final BoundedPlaces connections;
    /** Handshakes are bounded per client only: in all, the connections bound them. */
    private final BoundedPlaces handshakes;
    private final BoundedPlaces udpAssociations;
    private final Map<AdmissionRefusal, LongAdder> refused = new EnumMap<>(AdmissionRefusal.class);
    private final EveryFewSeconds refusalLog = new EveryFewSeconds(5, TimeUnit.SECONDS);

    public Admission(AdmissionLimits limits) {
        this.limits = limits;
        this.connections = new BoundedPlaces(limits.maxConnections(), limits.maxConnectionsPerClient());
        this.handshakes = new BoundedPlaces(limits.maxConnections(), limits.maxHandshakesPerClient());
        this.udpAssociations = new BoundedPlaces(limits.maxUdpAssociations(), limits.maxUdpAssociationsPerClient());
        for (AdmissionRefusal reason : AdmissionRefusal.values()) {
            refused.put(reason, new LongAdder());
        }
    }

    public AdmissionLimits limits() {
        return limits;
    }

    /**
     * Admits the connection of {@code client} (the address the rules see: a trusted PROXY
     * header's, else the peer's): a connection place and a handshake place in its share.
     * Call once per connection, before its first SOCKS byte is served.
     *
     * @return false when refused (counted and logged); the caller closes the connection
     */
    public boolean admitConnection(Channel channel, InetAddress client) {
        BoundedPlaces.Verdict connection = connections.tryAcquire(client);
        if (connection != BoundedPlaces.Verdict.ADMITTED) {
            refuse(connection == BoundedPlaces.Verdict.TOTAL_FULL ? AdmissionRefusal.CONNECTIONS
                    : AdmissionRefusal.CLIENT_CONNECTIONS, client);
            return false;
        }
        if (handshakes.tryAcquire(client) != BoundedPlaces.Verdict.ADMITTED) {
            connections.release(client);
            refuse(AdmissionRefusal.CLIENT_HANDSHAKES, client);
            return false;
        }
        channel.attr(ADMITTED_CLIENT).set(client);
        channel.attr(IN_HANDSHAKE).set(Boolean.TRUE);
        channel.closeFuture().addListener(closed -> {
            handshakeDone(channel);
            connections.release(client);
        });
        return true;
    }

    /** Whether {@link #admitConnection} admitted this connection already. */
    public boolean isAdmitted(Channel channel) {
        return channel.attr(ADMITTED_CLIENT).get() != null;
    }

    /** The connection's handshake has ended (its request arrived, or it closed): its handshake place is free. */
    public void handshakeDone(Channel channel) {
        InetAddress client = channel.attr(ADMITTED_CLIENT).get();
        if (client != null && Boolean.TRUE.equals(channel.attr(IN_HANDSHAKE).getAndSet(Boolean.FALSE))) {
            handshakes.release(client);
        }
    }

    /**
     * Admits a UDP association of {@code client} on {@code control}, its control connection; the
     * place is given back when the control connection closes (the association ends with it).
     *
     * @return false when refused (counted and logged); the caller replies and closes
     */
    public boolean admitUdpAssociation(Channel control, InetAddress client) {
        BoundedPlaces.Verdict verdict = udpAssociations.tryAcquire(client);
        if (verdict != BoundedPlaces.Verdict.ADMITTED) {
            refuse(verdict == BoundedPlaces.Verdict.TOTAL_FULL ? AdmissionRefusal.UDP_ASSOCIATIONS
                    : AdmissionRefusal.CLIENT_UDP_ASSOCIATIONS, client);
            return false;
        }
        control.closeFuture().addListener(closed -> udpAssociations.release(client));
        return true;
    }

    /** Refusals so far for {@code reason}. */
    public long refused(AdmissionRefusal reason) {
        return refused.get(reason).sum();
    }

    /** The counter behind {@link #refused}, for a meter to read. */
    public LongAdder refusedCounter(AdmissionRefusal reason) {
        return refused.get(reason);
    }

    /** Connections admitted and open now. */
    public int connections() {
        return connections.held();
    }

    /** UDP associations admitted and open now. */
    public int udpAssociations() {
        return udpAssociations.held();
    }

    private void refuse(AdmissionRefusal reason, InetAddress client) {
        refused.get(reason).increment();
        long heldBack = refusalLog.admit();
        if (heldBack >= 0) {
            log.warn("refused a {} from {}: {} ({}); {} more refusals since the last such line",
                    reason == AdmissionRefusal.UDP_ASSOCIATIONS || reason == AdmissionRefusal.CLIENT_UDP_ASSOCIATIONS
                            ? "UDP association" : "connection",
                    client.getHostAddress(), reason.why(), limits, heldBack);
        }
    }
}
