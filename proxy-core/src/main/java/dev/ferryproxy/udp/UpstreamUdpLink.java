package dev.ferryproxy.udp;

import dev.ferryproxy.client.SocksClientHandshake;
import dev.ferryproxy.client.SocksReply;
import dev.ferryproxy.client.SocksTarget;
import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksProtocolException;
import dev.ferryproxy.codec.v5.Socks5UdpDatagram;
import dev.ferryproxy.codec.v5.Socks5UdpDatagramCodec;
import dev.ferryproxy.connect.Upstream;
import dev.ferryproxy.connect.UpstreamConnector;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * One association's UDP association with a parent SOCKS5 proxy (the last hop of an
 * {@link Upstream}), made the first time a destination routed through that upstream is sent to.
 *
 * <p>It opens a control connection to the first hop, binds a UDP socket on the address that
 * connection leaves from (a parent checks datagrams against the control connection's address),
 * runs the UDP ASSOCIATE handshake through every hop, and then sends each datagram to the parent's
 * relay with a SOCKS5 header naming the destination. What the parent's relay sends back is
 * unwrapped and handed to the client's association with its real source. While the link is being
 * made, up to {@value #MAX_WAITING} datagrams wait; more are dropped. A link that fails stays
 * failed for the association's life: its datagrams are dropped as unreachable, and one warning
 * says why. Everything runs on the association's event loop.
 */
final class UpstreamUdpLink {
    private static final Logger log = LoggerFactory.getLogger(UpstreamUdpLink.class);
    static final int MAX_WAITING = 64;

    private enum State { CONNECTING, READY, FAILED, CLOSED }

    private final Upstream upstream;
    private final UdpAssociation association;
    private final ArrayDeque<Socks5UdpDatagram> waiting = new ArrayDeque<>();
    private State state = State.CONNECTING;
    private Channel control;
    private DatagramChannel socket;
    private InetSocketAddress parentRelay;

    UpstreamUdpLink(Upstream upstream, UdpAssociation association) {
        this.upstream = upstream;
        this.association = association;
    }

    /** Starts making the link; datagrams sent meanwhile wait. */
    void open(UpstreamConnector connector, Class<? extends DatagramChannel> datagramChannelType) {
        Future<Channel> connecting = connector.connectToFirstHop(upstream, association.eventLoop());
        connecting.addListener(done -> {
            if (!connecting.isSuccess()) {
                fail(connecting.cause().getMessage());
                return;
            }
            control = connecting.getNow();
            if (state == State.CLOSED) {
                control.close();
                return;
            }
            control.closeFuture().addListener(closed -> fail("the parent closed the control connection"));
            ChannelFuture bound = new Bootstrap()
                    .group(association.eventLoop())
                    .channel(datagramChannelType)
                    .handler(new FromParent())
                    .bind(((InetSocketAddress) control.localAddress()).getAddress(), 0);
            bound.addListener(b -> {
                if (!bound.isSuccess()) {
                    fail("cannot open a UDP socket: " + bound.cause().getMessage());
                    return;
                }
                socket = (DatagramChannel) bound.channel();
                if (state == State.CLOSED) {
                    socket.close();
                    return;
                }
                associate(connector);
            });
        });
    }

    private void associate(UpstreamConnector connector) {
        Future<SocksReply> reply = SocksClientHandshake.udpAssociate(control, upstream.hops(),
                SocksTarget.of((InetSocketAddress) socket.localAddress()), connector.resolver(),
                connector.handshakeTimeout(), null);
        reply.addListener(done -> {
            if (!reply.isSuccess()) {
                fail("UDP ASSOCIATE failed: " + reply.cause().getMessage());
                return;
            }
            InetSocketAddress bound = reply.getNow().bound();
            if (bound.isUnresolved() || bound.getAddress().isAnyLocalAddress() && upstream.hops().size() > 1) {
                fail("the parent named its relay " + bound + ", which cannot be reached from here");
                return;
            }
            // A wildcard from the one parent means "my own address": the one the control connection reached.
            parentRelay = bound.getAddress().isAnyLocalAddress()
                    ? new InetSocketAddress(((InetSocketAddress) control.remoteAddress()).getAddress(), bound.getPort())
                    : bound;
            if (state != State.CONNECTING) {
                return;
            }
            state = State.READY;
            log.debug("UDP of {} goes through upstream {}: parent relay {}", association, upstream, parentRelay);
            while (!waiting.isEmpty()) {
                write(waiting.poll());
            }
            socket.flush();
        });
    }

    /** Sends (or queues) one datagram; takes ownership of {@code payload}. */
    UdpDrop send(UdpTarget target, ByteBuf payload) {
        Socks5UdpDatagram datagram = new Socks5UdpDatagram(0, SocksAddress.of(target.address()), payload);
        switch (state) {
            case READY:
                if (!socket.isWritable()) {
                    datagram.release();
                    return UdpDrop.CONGESTED;
                }
                write(datagram);
                return null;
            case CONNECTING:
                if (waiting.size() >= MAX_WAITING) {
                    datagram.release();
                    return UdpDrop.CONGESTED;
                }
                waiting.add(datagram);
                return null;
            default:
                datagram.release();
                return UdpDrop.UNREACHABLE;
        }
    }

    private void write(Socks5UdpDatagram datagram) {
        ByteBuf packet = Socks5UdpDatagramCodec.encode(socket.alloc(), datagram);
        socket.write(new DatagramPacket(packet, parentRelay), socket.voidPromise());
    }

    void flush() {
        if (state == State.READY) {
            socket.flush();
        }
    }

    private void fail(String why) {
        if (state == State.CONNECTING || state == State.READY) {
            log.warn("UDP of {} through upstream {} failed: {}", association, upstream, why);
            state = State.FAILED;
            release();
        }
    }

    /** Ends the link: the parent's association ends with its control connection. */
    void close() {
        state = State.CLOSED;
        release();
    }

    private void release() {
        while (!waiting.isEmpty()) {
            waiting.poll().release();
        }
        if (control != null) {
            control.close();
        }
        if (socket != null) {
            socket.close();
        }
    }

    /** Datagrams from the parent's relay: unwrapped, and relayed to the client with their real source. */
    private final class FromParent extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            DatagramPacket packet = (DatagramPacket) msg;
            try {
                if (parentRelay == null || !UdpAddresses.normalize(packet.sender()).equals(parentRelay)) {
                    association.stats().countDrop(UdpDrop.UNKNOWN_SOURCE);
                    return;
                }
                Socks5UdpDatagram datagram = Socks5UdpDatagramCodec.decode(packet.content());
                if (datagram.frag() != 0) {
                    datagram.release();
                    association.stats().countDrop(UdpDrop.FRAGMENT);
                    return;
                }
                SocksAddress from = datagram.address();
                InetSocketAddress source = from.isDomain()
                        ? InetSocketAddress.createUnresolved(from.host(), from.port())
                        : new InetSocketAddress(from.inetAddress(), from.port());
                association.relayToClient(source, datagram.content());
            } catch (SocksProtocolException e) {
                association.stats().countDrop(UdpDrop.MALFORMED);
            } finally {
                packet.release();
            }
        }
    }
}
