package dev.ferryproxy.transport;

import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

import java.util.function.Supplier;

/** The event loops and channel classes of one I/O transport, chosen once at start. */
public final class Transport {
    private final String name;
    private final Supplier<IoHandlerFactory> ioHandlerFactory;
    private final Class<? extends ServerSocketChannel> serverChannelType;
    private final Class<? extends SocketChannel> socketChannelType;
    private final Class<? extends DatagramChannel> datagramChannelType;

    private Transport(String name, Supplier<IoHandlerFactory> ioHandlerFactory,
            Class<? extends ServerSocketChannel> serverChannelType,
            Class<? extends SocketChannel> socketChannelType,
            Class<? extends DatagramChannel> datagramChannelType) {
        this.name = name;
        this.ioHandlerFactory = ioHandlerFactory;
        this.serverChannelType = serverChannelType;
        this.socketChannelType = socketChannelType;
        this.datagramChannelType = datagramChannelType;
    }

    /**
     * The transport for a preference: AUTO takes epoll where its native library loads, else NIO.
     *
     * @throws IllegalStateException when EPOLL is asked for and cannot load (with the reason)
     */
    public static Transport select(TransportKind kind) {
        switch (kind) {
            case NIO:
                return nio();
            case IO_URING:
                if (!IoUring.isAvailable()) {
                    throw new IllegalStateException("io_uring transport unavailable: " + IoUring.unavailabilityCause());
                }
                return ioUring();
            case EPOLL:
                if (!Epoll.isAvailable()) {
                    throw new IllegalStateException("epoll transport unavailable: " + Epoll.unavailabilityCause());
                }
                return epoll();
            default:
                // io_uring is a choice, not the default: Docker's default seccomp profile blocks it.
                return Epoll.isAvailable() ? epoll() : nio();
        }
    }

    /** Why epoll cannot load here, or {@code null} when it can. */
    public static Throwable epollUnavailabilityCause() {
        return Epoll.isAvailable() ? null : Epoll.unavailabilityCause();
    }

    /** Why io_uring cannot load here (an old kernel, a seccomp profile), or {@code null} when it can. */
    public static Throwable ioUringUnavailabilityCause() {
        return IoUring.isAvailable() ? null : IoUring.unavailabilityCause();
    }

    private static Transport epoll() {
        // Netty's epoll handler, with the fix for its half-close defect (see the factory's Javadoc).
        return new Transport("epoll", EpollKeepRegisteredIoHandlerFactory::new,
                EpollServerSocketChannel.class, EpollSocketChannel.class, EpollDatagramChannel.class);
    }

    private static Transport ioUring() {
        return new Transport("io_uring", IoUringIoHandler::newFactory,
                IoUringServerSocketChannel.class, IoUringSocketChannel.class, IoUringDatagramChannel.class);
    }

    private static Transport nio() {
        return new Transport("nio", NioIoHandler::newFactory,
                NioServerSocketChannel.class, NioSocketChannel.class, NioDatagramChannel.class);
    }

    /** Whether one socket can splice into another in the kernel (epoll's {@code spliceTo}). */
    public boolean supportsSplice() {
        return socketChannelType == EpollSocketChannel.class;
    }

    /** "epoll", "io_uring" or "nio". */
    public String name() {
        return name;
    }

    /** A new group of {@code threads} event loops; 0 means Netty's default (twice the cores). */
    public EventLoopGroup newEventLoopGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory.get());
    }

    /** The listening socket channel class of this transport. */
    public Class<? extends ServerSocketChannel> serverChannelType() {
        return serverChannelType;
    }

    /** The TCP socket channel class of this transport. */
    public Class<? extends SocketChannel> socketChannelType() {
        return socketChannelType;
    }

    /** The UDP channel class of this transport. */
    public Class<? extends DatagramChannel> datagramChannelType() {
        return datagramChannelType;
    }

    @Override
    public String toString() {
        return name;
    }
}
