package dev.ferryproxy.udp;

import dev.ferryproxy.policy.PortRange;
import io.netty.buffer.ByteBufAllocator;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * Binds an association's relay socket on the client's event loop, on a port from the configured
 * range, without blocking: each port is one asynchronous bind, and a port in use moves on to
 * the next. The range is walked from a random port, so that concurrent associations do not all
 * collide on its first ports, and each port is tried once.
 *
 * <p>The socket is bound to the service's wildcard address (dual-stack {@code ::} where the host
 * has IPv6), not to the control connection's local address: see {@link UdpAssociateService#relayBindAddress()}.
 * It starts with auto-read off, so nothing is read before the association is ready, and with a
 * receive buffer one byte larger than the largest datagram relayed: a datagram that fills it is
 * too large, where a smaller buffer would silently cut it short.
 */
final class UdpRelayBinder {
    /** The relay's pipeline stays empty until the association adds its handler. */
    private static final ChannelHandler NO_HANDLER = new EmptyInitializer();

    private UdpRelayBinder() {
    }

    /**
     * Binds a relay socket on {@code loop}.
     *
     * @param alloc the allocator the relay reads into and writes from (the control connection's)
     * @param wanted asked before each attempt and after success: {@code false} (the client left)
     *     stops trying, and closes a socket that was bound
     * @return the bound socket; a failure carries the last bind error, and says how many ports were tried
     */
    static Future<DatagramChannel> bind(UdpAssociateService service, EventLoop loop, ByteBufAllocator alloc,
            BooleanSupplier wanted) {
        Promise<DatagramChannel> bound = loop.newPromise();
        UdpSettings settings = service.settings();
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(service.datagramChannelType())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOCATOR, alloc)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(settings.maxDatagramBytes() + 1))
                .handler(NO_HANDLER);
        new Attempts(bootstrap, service.relayBindAddress(), settings.ports(), wanted, bound).next(null);
        return bound;
    }

    /** Walks the ports of the range, one asynchronous bind at a time. */
    private static final class Attempts {
        private final Bootstrap bootstrap;
        private final InetAddress address;
        private final PortRange ports;
        private final BooleanSupplier wanted;
        private final Promise<DatagramChannel> bound;
        private final int count;
        private final int first;
        private int tried;

        Attempts(Bootstrap bootstrap, InetAddress address, PortRange ports, BooleanSupplier wanted,
                Promise<DatagramChannel> bound) {
            this.bootstrap = bootstrap;
            this.address = address;
            this.ports = ports;
            this.wanted = wanted;
            this.bound = bound;
            this.count = ports == null ? 1 : ports.hi() - ports.lo() + 1;
            this.first = count == 1 ? 0 : ThreadLocalRandom.current().nextInt(count);
        }

        void next(Throwable lastFailure) {
            if (!wanted.getAsBoolean()) {
                bound.cancel(false);
                return;
            }
            if (tried == count) {
                bound.tryFailure(new UdpRelayBindException(ports == null
                        ? "cannot bind a UDP socket on " + address.getHostAddress() + ": " + lastFailure
                        : "no free UDP port in " + ports + " on " + address.getHostAddress() + " (" + count
                                + " tried; last: " + lastFailure + ")", lastFailure));
                return;
            }
            int port = ports == null ? 0 : ports.lo() + (first + tried) % count;
            tried++;
            ChannelFuture attempt = bootstrap.bind(new InetSocketAddress(address, port));
            attempt.addListener(done -> {
                if (!attempt.isSuccess()) {
                    next(attempt.cause());
                    return;
                }
                DatagramChannel channel = (DatagramChannel) attempt.channel();
                if (!wanted.getAsBoolean() || !bound.trySuccess(channel)) {
                    channel.close();
                    bound.cancel(false);
                }
            });
        }
    }

    /** Leaves the pipeline empty. */
    @ChannelHandler.Sharable
    private static final class EmptyInitializer extends ChannelInitializer<DatagramChannel> {
        @Override
        protected void initChannel(DatagramChannel ch) {
            // the association adds the relay handler once the reply is out
        }
    }

    /** No relay socket could be bound: every port of the range is in use, or the bind failed. */
    static final class UdpRelayBindException extends Exception {
        private static final long serialVersionUID = 1L;

        UdpRelayBindException(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }
}
