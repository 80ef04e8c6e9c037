package dev.ferryproxy.client;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksProtocolException;
import dev.ferryproxy.codec.v5.Socks5UdpDatagram;
import dev.ferryproxy.codec.v5.Socks5UdpDatagramCodec;
import dev.ferryproxy.resolve.NameResolver;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * A SOCKS5 UDP association: datagrams sent to targets through the proxy's UDP relay, and
 * datagrams from targets received back, each with the SOCKS5 UDP header (RFC 1928 section 7)
 * added and removed here.
 *
 * <p>It lives as long as the TCP control connection that made it: when the proxy closes that, the
 * association ends, and {@link #closeFuture()} completes. {@link #close()} ends it from this side.
 * Only datagrams from the relay's address are accepted; fragments (FRAG other than 0) and
 * datagrams with a malformed header are dropped.
 *
 * <p>Nothing is read from the UDP socket before a receiver is set with {@link #setReceiver}, so no
 * datagram that arrives in between is lost (the socket's buffer holds it).
 */
public final class SocksUdpAssociation implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SocksUdpAssociation.class);

    static final String CONTROL_NAME = "socksUdpControl";
    static final String RELAY_NAME = "socksUdpRelay";

    private final Channel control;
    private final Channel udp;
    private final SocksReply reply;
    private final InetSocketAddress relay;
    private final SocksProtocol protocol;
    private final NameResolver resolver;
    private final Promise<Void> closed;
    private volatile BiConsumer<InetSocketAddress, ByteBuf> receiver;

    /** Called on the event loop both channels share, once the reply has come. */
    SocksUdpAssociation(Channel control, Channel udp, SocksReply reply, InetSocketAddress relay, SocksProtocol protocol,
            NameResolver resolver) {
        this.control = control;
        this.udp = udp;
        this.reply = reply;
        this.relay = relay;
        this.protocol = protocol;
        this.resolver = resolver;
        this.closed = control.eventLoop().newPromise();
        udp.pipeline().addLast(RELAY_NAME, new FromRelay());
        control.pipeline().addLast(CONTROL_NAME, new Control());
        control.closeFuture().addListener(f -> {
            udp.close();
            closed.trySuccess(null);
        });
        udp.closeFuture().addListener(f -> control.close());
        // The proxy sends nothing more on the control connection, but its end must be noticed.
        control.config().setAutoRead(true);
    }

    /** The proxy's reply to UDP ASSOCIATE. */
    public SocksReply reply() {
        return reply;
    }

    /**
     * Where datagrams go: the relay the reply named, or, when it named the unspecified address, the
     * address of the proxy this client is connected to with the reply's port.
     */
    public InetSocketAddress relayAddress() {
        return relay;
    }

    /** The local UDP socket datagrams are sent from (and which the request told the proxy about). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) udp.localAddress();
    }

    /**
     * Sets what receives datagrams: the source address (unresolved when the relay named it by a
     * domain name) and the payload, which the receiver owns and must release, even if it throws.
     * Called on the association's event loop; it must not block. The payload comes from the
     * loop's pooled allocator: release it on that loop (or copy it there and release at once),
     * since a pool freed into from another thread makes its loop wait. Reading starts with the
     * first receiver set.
     */
    public void setReceiver(BiConsumer<InetSocketAddress, ByteBuf> receiver) {
        this.receiver = Objects.requireNonNull(receiver, "receiver");
        udp.eventLoop().execute(() -> {
            if (udp.isActive()) {
                udp.config().setAutoRead(true);
            }
        });
    }

    /**
     * Sends {@code data} to {@code target} through the relay. Takes ownership of {@code data}. A
     * name is sent to the proxy when the last hop resolves at the proxy (socks5h), else resolved
     * here first.
     *
     * @return completes when the datagram has been handed to the socket (UDP says nothing of arrival)
     */
    public Future<Void> send(SocksTarget target, ByteBuf data) {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(data, "data");
        EventLoop loop = udp.eventLoop();
        Promise<Void> sent = loop.newPromise();
        if (loop.inEventLoop()) {
            send0(target, data, sent);
        } else {
            try {
                loop.execute(() -> send0(target, data, sent));
            } catch (RuntimeException e) {
                data.release();
                sent.tryFailure(e);
            }
        }
        return sent;
    }

    private void send0(SocksTarget target, ByteBuf data, Promise<Void> sent) {
        if (!udp.isActive()) {
            data.release();
            sent.tryFailure(new SocksException("the UDP association is closed"));
            return;
        }
        if (target.isIpLiteral() || protocol.resolvesAtProxy()) {
            write(target.toSocksAddress(), data, sent);
            return;
        }
        resolver.resolveAll(target.host(), udp.eventLoop()).addListener(f -> {
            if (!f.isSuccess()) {
                data.release();
                sent.tryFailure(f.cause());
                return;
            }
            @SuppressWarnings("unchecked")
            List<InetAddress> addresses = (List<InetAddress>) f.getNow();
            if (addresses.isEmpty()) {
                data.release();
                sent.tryFailure(new UnknownHostException(target.host()));
                return;
            }
            write(SocksAddress.of(new InetSocketAddress(addresses.get(0), target.port())), data, sent);
        });
    }

    private void write(SocksAddress destination, ByteBuf data, Promise<Void> sent) {
        ByteBuf packet;
        try {
            packet = Socks5UdpDatagramCodec.encode(udp.alloc(), new Socks5UdpDatagram(0, destination, data));
        } catch (RuntimeException e) {
            sent.tryFailure(e); // the codec released the data
            return;
        }
        udp.writeAndFlush(new DatagramPacket(packet, relay)).addListener(f -> {
            if (f.isSuccess()) {
                sent.trySuccess(null);
            } else {
                sent.tryFailure(f.cause());
            }
        });
    }

    /** Completes when the association has ended (either side closed the control connection). */
    public Future<Void> closeFuture() {
        return closed;
    }

    /** Whether the association still runs: its TCP connection and its UDP socket are open. */
    public boolean isOpen() {
        return control.isActive() && udp.isActive();
    }

    /** Ends the association: closes the control connection and the UDP socket. */
    @Override
    public void close() {
        control.close();
        udp.close();
    }

    /** Takes datagrams from the relay off their header and hands them to the receiver. */
    private final class FromRelay extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof DatagramPacket)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            DatagramPacket packet = (DatagramPacket) msg;
            Socks5UdpDatagram datagram;
            try {
                if (!relay.equals(packet.sender())) {
                    log.debug("dropped a datagram from {}, which is not the relay {}", packet.sender(), relay);
                    return;
                }
                datagram = Socks5UdpDatagramCodec.decode(packet.content());
            } catch (SocksProtocolException e) {
                log.debug("dropped a malformed datagram from the relay {}: {}", relay, e.getMessage());
                return;
            } finally {
                packet.release();
            }
            if (datagram.frag() != 0) {
                datagram.release();
                return;
            }
            BiConsumer<InetSocketAddress, ByteBuf> target = receiver;
            if (target == null) {
                datagram.release();
                return;
            }
            target.accept(SocksReply.toSocketAddress(datagram.address()), datagram.content());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("UDP association socket {} failed: {}", ctx.channel().localAddress(), cause.toString());
        }
    }

    /** Watches the control connection: whatever comes on it is discarded; its end ends the association. */
    private static final class Control extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
                ctx.close();
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
