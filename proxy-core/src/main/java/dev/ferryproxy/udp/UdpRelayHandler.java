package dev.ferryproxy.udp;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksProtocolException;
import dev.ferryproxy.codec.v5.Socks5UdpDatagram;
import dev.ferryproxy.codec.v5.Socks5UdpDatagramCodec;
import dev.ferryproxy.udp.UdpDestinationTable.Destination;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The relay socket's handler: one socket carries both directions, and each datagram is sorted by
 * its sender. From the client's address: size, rate, header, FRAG and destination are checked,
 * and the payload goes to the destination sender. From a destination the client has sent to (or
 * anyone, when the settings say so): the payload gets a header naming its sender and goes to the
 * client. Anything else is dropped.
 *
 * <p>Every datagram read is released exactly once, here, whatever happens to it; what goes on
 * (the payload, a slice of the read buffer) is retained for the way on. Each drop is counted by
 * reason; the first drop of each reason is logged at debug, and the association logs the counts
 * when it ends, so a flood of junk cannot flood the log.
 *
 * <p>Datagrams to a name wait while it resolves, at most {@link #MAX_WAITING} of them (and
 * {@link #MAX_WAITING_BYTES}) across the association, and move on (or are dropped) when the answer
 * comes. Payloads that go on are {@linkplain UdpBuffers#rightSized right-sized} first, so that
 * what waits or queues holds only its own bytes.
 */
final class UdpRelayHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UdpRelayHandler.class);

    /** How many datagrams may wait for their names to resolve, across all names of an association. */
    static final int MAX_WAITING = 64;
    /** How many payload bytes may wait for their names to resolve, across all names of an association. */
    static final int MAX_WAITING_BYTES = 256 * 1024;

    private final UdpAssociation association;
    private final UdpClientEndpoint client;
    private final UdpDestinationTable destinations;
    private final UdpRateLimiter rateLimiter;
    private final UdpDestinationSender sender;
    private final UdpStats stats;
    private final int maxDatagramBytes;
    private final boolean repliesFromAnySource;
    private final Map<SocksAddress, ArrayDeque<ByteBuf>> waiting = new HashMap<>();
    private final Set<UdpDrop> logged = EnumSet.noneOf(UdpDrop.class);
    private int waitingCount;
    private int waitingBytes;
    private Channel relay;

    UdpRelayHandler(UdpAssociation association, UdpClientEndpoint client, UdpDestinationTable destinations,
            UdpRateLimiter rateLimiter, UdpDestinationSender sender, UdpStats stats, UdpSettings settings) {
        this.association = association;
        this.client = client;
        this.destinations = destinations;
        this.rateLimiter = rateLimiter;
        this.sender = sender;
        this.stats = stats;
        this.maxDatagramBytes = settings.maxDatagramBytes();
        this.repliesFromAnySource = settings.repliesFromAnySource();
        destinations.setListener(this::onSettled);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        relay = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        DatagramPacket packet = (DatagramPacket) msg;
        try {
            InetSocketAddress from = UdpAddresses.normalize(packet.sender());
            switch (client.match(from)) {
                case CLIENT:
                    fromClient(packet.content(), from, false);
                    break;
                case CANDIDATE:
                    fromClient(packet.content(), from, true);
                    break;
                default:
                    fromOther(packet.content(), from);
            }
        } finally {
            packet.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        sender.flush();
        ctx.flush();
    }

    /** A datagram from the client's address; {@code candidate} when it sets the client's port if its header parses. */
    private void fromClient(ByteBuf content, InetSocketAddress from, boolean candidate) {
        long now = System.nanoTime();
        association.touch(now);
        if (content.readableBytes() > maxDatagramBytes) {
            drop(UdpDrop.TOO_LARGE, from, content.readableBytes() + " bytes");
            return;
        }
        if (rateLimiter != null && !rateLimiter.tryAcquire(now)) {
            drop(UdpDrop.RATE_LIMITED, from, null);
            return;
        }
        Socks5UdpDatagram datagram;
        try {
            datagram = Socks5UdpDatagramCodec.decode(content);
        } catch (SocksProtocolException e) {
            drop(UdpDrop.MALFORMED, from, e.getMessage());
            return;
        }
        try {
            if (candidate) {
                client.latch(from.getPort());
                log.debug("UDP association of {}: the client sends from port {}", NetUtil.toAddressString(client.ip()),
                        from.getPort());
            }
            if (datagram.frag() != 0) {
                drop(UdpDrop.FRAGMENT, from, "FRAG " + datagram.frag());
                return;
            }
            Destination destination = destinations.lookup(datagram.address(), now);
            if (destination == null) {
                drop(UdpDrop.TOO_MANY_DESTINATIONS, from, datagram.address().toString());
                return;
            }
            switch (destination.state()) {
                case ALLOWED:
                    sendOn(destination, UdpBuffers.rightSized(datagram.content().retain(), relay.alloc()));
                    break;
                case RESOLVING:
                    hold(destination, UdpBuffers.rightSized(datagram.content().retain(), relay.alloc()));
                    break;
                default:
                    drop(destination.dropReason(), from, datagram.address().toString());
            }
        } finally {
            datagram.release();
        }
    }

    /** A datagram from anyone but the client: a reply, if the client sent to its sender (or anyone may answer). */
    private void fromOther(ByteBuf content, InetSocketAddress from) {
        if (!repliesFromAnySource && !destinations.hasSentTo(from)) {
            drop(UdpDrop.UNKNOWN_SOURCE, from, null);
            return;
        }
        toClient(from, UdpBuffers.rightSized(content.retain(), relay.alloc()));
    }

    /**
     * Relays {@code payload} from {@code source} to the client with a SOCKS header. Takes ownership
     * of {@code payload}. The caller flushes.
     */
    void toClient(InetSocketAddress source, ByteBuf payload) {
        InetSocketAddress clientAddress = client.address();
        int bytes = payload.readableBytes();
        SocksAddress header = SocksAddress.of(UdpAddresses.normalize(source));
        if (clientAddress == null) {
            // Only with repliesFromAnySource: the client has not sent anything yet, so has no port.
            payload.release();
            drop(UdpDrop.UNKNOWN_SOURCE, source, "the client's port is not known yet");
            return;
        }
        if (bytes > maxDatagramBytes
                || Socks5UdpDatagramCodec.headerLength(header) + bytes > UdpSettings.MAX_UDP_PAYLOAD) {
            payload.release();
            drop(UdpDrop.TOO_LARGE, source, bytes + " bytes");
            return;
        }
        if (!relay.isWritable()) {
            payload.release();
            drop(UdpDrop.CONGESTED, source, null);
            return;
        }
        ByteBuf packet = Socks5UdpDatagramCodec.encode(relay.alloc(), new Socks5UdpDatagram(0, header, payload));
        relay.write(new DatagramPacket(packet, clientAddress), relay.voidPromise());
        stats.countToClient(bytes);
        association.touch(System.nanoTime());
    }

    private void sendOn(Destination destination, ByteBuf payload) {
        int bytes = payload.readableBytes();
        UdpDrop dropped = sender.send(destination.target(), payload);
        if (dropped != null) {
            drop(dropped, client.address(), destination.requested().toString());
            return;
        }
        destinations.markSentTo(destination);
        stats.countToTarget(bytes);
    }

    private void hold(Destination destination, ByteBuf payload) {
        if (waitingCount >= MAX_WAITING || waitingBytes + payload.readableBytes() > MAX_WAITING_BYTES) {
            payload.release();
            drop(UdpDrop.RESOLUTION_BACKLOG, client.address(), destination.requested().toString());
            return;
        }
        waiting.computeIfAbsent(destination.requested(), k -> new ArrayDeque<>(4)).add(payload);
        waitingCount++;
        waitingBytes += payload.readableBytes();
    }

    /** A name's answer came: the datagrams that waited for it go on, or are dropped. */
    private void onSettled(Destination destination) {
        ArrayDeque<ByteBuf> held = waiting.remove(destination.requested());
        if (held == null) {
            return;
        }
        waitingCount -= held.size();
        for (ByteBuf payload; (payload = held.poll()) != null; ) {
            waitingBytes -= payload.readableBytes();
            if (destination.state() == UdpDestinationTable.State.ALLOWED) {
                sendOn(destination, payload);
            } else {
                payload.release();
                drop(destination.dropReason(), client.address(), destination.requested().toString());
            }
        }
        sender.flush();
    }

    private void drop(UdpDrop reason, InetSocketAddress from, String detail) {
        stats.countDrop(reason);
        if (log.isDebugEnabled() && logged.add(reason)) {
            log.debug("UDP association of {}: dropped a datagram from {}: {}{} (further drops of this kind are only"
                    + " counted)", NetUtil.toAddressString(client.ip()),
                    from == null ? "the client" : NetUtil.toSocketAddressString(from), reason,
                    detail == null ? "" : " (" + detail + ")");
        }
    }

    /** Releases the datagrams still waiting for names. */
    private void releaseWaiting() {
        for (ArrayDeque<ByteBuf> held : waiting.values()) {
            for (ByteBuf payload; (payload = held.poll()) != null; ) {
                payload.release();
            }
        }
        waiting.clear();
        waitingCount = 0;
        waitingBytes = 0;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseWaiting();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseWaiting();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A failed send (void promise) or a read error: UDP loses datagrams, the association goes on.
        stats.countSocketError();
        log.debug("UDP association of {}: relay socket {} reported {}", NetUtil.toAddressString(client.ip()),
                NetUtil.toSocketAddressString((InetSocketAddress) ctx.channel().localAddress()), cause.toString());
    }
}
