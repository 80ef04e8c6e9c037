package dev.ferryproxy.accesslog;

import dev.ferryproxy.codec.SocksVersion;
import dev.ferryproxy.codec.v4.Socks4CommandResponse;
import dev.ferryproxy.codec.v5.Socks5CommandResponse;
import dev.ferryproxy.command.CommandContext;
import dev.ferryproxy.relay.RelayObserver;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * What the access log will say about one client connection, gathered as it goes (a channel
 * attribute, like the connection's meters): the request, the replies, the dialled address, the
 * bytes each way and why it ended. When the client's channel closes, a connection that got as far
 * as a request becomes one {@link AccessLogEntry} for the sink; one that never sent a request is
 * not logged.
 *
 * <p>Only the client's event loop uses an instance (the UDP relay shares it), so its state needs
 * no synchronisation. A channel without one (no sink configured, or a handler tested on its own)
 * gets {@link #of}'s disabled instance, which ignores everything.
 */
public final class TunnelRecord implements RelayObserver {
    private static final Logger log = LoggerFactory.getLogger(TunnelRecord.class);
    private static final AttributeKey<TunnelRecord> KEY = AttributeKey.valueOf(TunnelRecord.class, "accessLog");
    private static final TunnelRecord DISABLED = new TunnelRecord(null, null, null, 0);

    private final Channel client;
    private final AccessLogSink sink;
    private final Function<Channel, InetAddress> clientAddress;
    private final long acceptedNanos;
    private final InetSocketAddress listener;
    private CommandContext request;
    private int replyCode = -1;
    private InetSocketAddress dialled;
    private long fromClient;
    private long toClient;
    private LongSupplier udpFromClient;
    private LongSupplier udpToClient;
    private EndReason end;

    private TunnelRecord(Channel client, AccessLogSink sink, Function<Channel, InetAddress> clientAddress,
            long acceptedNanos) {
        this.client = client;
        this.sink = sink;
        this.clientAddress = clientAddress;
        this.acceptedNanos = acceptedNanos;
        this.listener = client == null ? null : (InetSocketAddress) client.parent().localAddress();
    }

    /**
     * Starts recording a client channel just accepted; its entry goes to {@code sink} when it
     * closes. {@code clientAddress} is read then, so it sees what the handshake learnt (a PROXY
     * protocol header's address, for one).
     */
    public static void attach(Channel client, AccessLogSink sink, Function<Channel, InetAddress> clientAddress) {
        TunnelRecord record = new TunnelRecord(client, sink, clientAddress, System.nanoTime());
        client.attr(KEY).set(record);
        client.closeFuture().addListener(closed -> record.emit());
    }

    /** The channel's record, or a disabled one that ignores everything. */
    public static TunnelRecord of(Channel channel) {
        TunnelRecord record = channel.attr(KEY).get();
        return record != null ? record : DISABLED;
    }

    private boolean disabled() {
        return sink == null;
    }

    /** The request, once decoded: from now on the connection will be logged. */
    public void request(CommandContext command) {
        if (!disabled()) {
            request = command;
        }
    }

    /** Notes a reply written to the client ({@code Socks5CommandResponse} or {@code Socks4CommandResponse}); the last one counts. */
    public void replied(Object reply) {
        if (disabled()) {
            return;
        }
        if (reply instanceof Socks5CommandResponse) {
            replyCode = ((Socks5CommandResponse) reply).status().byteValue() & 0xFF;
        } else if (reply instanceof Socks4CommandResponse) {
            replyCode = ((Socks4CommandResponse) reply).status().byteValue() & 0xFF;
        }
    }

    /** The address connected to for the client: the target or first parent, the BIND peer, the UDP relay. */
    public void dialled(SocketAddress address) {
        if (!disabled() && address instanceof InetSocketAddress) {
            dialled = (InetSocketAddress) address;
        }
    }

    /** A UDP association: its byte counts are read from these when it ends. */
    public void udp(InetSocketAddress relay, LongSupplier bytesFromClient, LongSupplier bytesToClient) {
        if (!disabled()) {
            dialled = relay;
            udpFromClient = bytesFromClient;
            udpToClient = bytesToClient;
        }
    }

    /** The server is closing the connection for {@code reason} (drain, idle timeout); it overrides what came before. */
    public void closing(EndReason reason) {
        if (!disabled()) {
            end = reason;
        }
    }

    @Override
    public void read(Channel from, int bytes) {
        if (disabled()) {
            return;
        }
        if (from == client) {
            fromClient += bytes;
        } else {
            toClient += bytes;
        }
    }

    @Override
    public void inputEnded(Channel side) {
        if (!disabled() && end == null) {
            end = side == client ? EndReason.CLIENT_CLOSED : EndReason.TARGET_CLOSED;
        }
    }

    @Override
    public void failed(Channel side, Throwable cause) {
        if (!disabled() && end == null) {
            end = EndReason.ERROR;
        }
    }

    private void emit() {
        if (request == null) {
            return;
        }
        SocksVersion version = request.version();
        boolean success = version == SocksVersion.SOCKS4 ? replyCode == 90 : replyCode == 0;
        EndReason reason = end != null ? end
                : replyCode >= 0 && !success ? EndReason.REJECTED
                : replyCode < 0 ? EndReason.CLIENT_CLOSED
                : EndReason.CLOSED;
        InetAddress address;
        try {
            address = clientAddress.apply(client);
        } catch (RuntimeException e) {
            address = request.client();
        }
        try {
            sink.accept(new AccessLogEntry(Instant.now(), listener,
                    address, request.user(), version, request.command(), request.destination(), dialled, replyCode,
                    udpFromClient != null ? udpFromClient.getAsLong() : fromClient,
                    udpToClient != null ? udpToClient.getAsLong() : toClient,
                    Duration.ofNanos(System.nanoTime() - acceptedNanos), reason));
        } catch (RuntimeException e) {
            log.warn("access log sink failed: {}", e.toString());
        }
    }
}
