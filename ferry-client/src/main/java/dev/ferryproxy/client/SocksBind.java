package dev.ferryproxy.client;

import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A BIND in progress: the proxy listens for one incoming connection from the expected peer.
 *
 * <p>{@link #listenAddress()} is where the peer must connect (tell it over another channel, as
 * FTP does). {@link #incoming()} completes with the proxy's second reply, which names the peer,
 * and the channel, which from then on carries the peer's connection. The channel is handed over
 * as {@link SocksClient#connect} hands over a tunnel: auto-read off, the caller adds its handlers
 * with {@code addLast} and then starts reading. No timeout applies to the wait for the peer;
 * {@link #close()} gives up.
 */
public final class SocksBind implements AutoCloseable {
    private final Channel channel;
    private final SocksReply firstReply;
    private final Future<Incoming> incoming;

    SocksBind(Channel channel, SocksReply firstReply, Future<Incoming> incoming) {
        this.channel = channel;
        this.firstReply = firstReply;
        this.incoming = incoming;
    }

    /** The proxy's first reply: the address it listens on. */
    public SocksReply firstReply() {
        return firstReply;
    }

    /**
     * Where the peer must connect: the first reply's address, or, when the proxy answered with the
     * unspecified address (0.0.0.0 or ::, "my own address"), the address of the proxy this client
     * is connected to, with the reply's port.
     */
    public InetSocketAddress listenAddress() {
        InetSocketAddress bound = firstReply.bound();
        if (!bound.isUnresolved() && bound.getAddress().isAnyLocalAddress()
                && channel.remoteAddress() instanceof InetSocketAddress) {
            return new InetSocketAddress(((InetSocketAddress) channel.remoteAddress()).getAddress(), bound.getPort());
        }
        return bound;
    }

    /** Completes when the peer has connected (the second reply), or fails with a {@link SocksException}. */
    public Future<Incoming> incoming() {
        return incoming;
    }

    /** The connection to the proxy, which becomes the peer's connection after the second reply. */
    public Channel channel() {
        return channel;
    }

    /** Gives up the BIND, or ends the peer's connection: closes the channel. */
    @Override
    public void close() {
        incoming.cancel(false);
        channel.close();
    }

    /**
     * The peer's connection.
     *
     * @param reply the second reply; its bound address is the peer's
     * @param channel the tunnel to the peer: auto-read off, the caller's handlers go last
     */
    public record Incoming(SocksReply reply, Channel channel) {
        /** Requires both parts. */
        public Incoming {
            Objects.requireNonNull(reply, "reply");
            Objects.requireNonNull(channel, "channel");
        }

        /** The address of the peer that connected, as the proxy saw it. */
        public InetSocketAddress peerAddress() {
            return reply.bound();
        }
    }
}
