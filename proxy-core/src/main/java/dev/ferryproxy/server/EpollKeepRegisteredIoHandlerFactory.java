package dev.ferryproxy.server;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.util.concurrent.ThreadAwareExecutor;

/**
 * Netty's epoll I/O handler, with a fix for a defect in Netty 4.2.18 that breaks half-closed
 * tunnels.
 *
 * <p>The defect: when a channel's interest set becomes empty, Netty's epoll registration removes
 * the socket from the epoll set (EPOLL_CTL_DEL) but keeps believing it is there. The next change
 * of interest is an EPOLL_CTL_MOD, which fails with ENOENT, and Netty then fails the pending write
 * and shuts the channel's output down. A relayed channel gets there easily: the peer has
 * half-closed (EPOLLRDHUP handled, the end of input read, so no EPOLLIN), and nothing is queued
 * (no EPOLLOUT). When more data then comes for it than the socket buffer takes, it needs
 * EPOLLOUT, and the data is lost.
 *
 * <p>The fix: an empty interest set is never submitted. EPOLLET alone is submitted in its place.
 * That keeps the socket registered and watching for nothing. Errors and hang-ups, which epoll
 * always reports, come once per edge instead of on every wait, so it does not spin either.
 * (Netty deletes the socket to avoid exactly that spinning.)
 */
final class EpollKeepRegisteredIoHandlerFactory implements IoHandlerFactory {
    private final IoHandlerFactory epoll = EpollIoHandler.newFactory();

    @Override
    public IoHandler newHandler(ThreadAwareExecutor executor) {
        return new KeepRegisteredIoHandler(epoll.newHandler(executor));
    }

    @Override
    public boolean isChangingThreadSupported() {
        return epoll.isChangingThreadSupported();
    }

    private static final class KeepRegisteredIoHandler implements IoHandler {
        private final IoHandler delegate;

        KeepRegisteredIoHandler(IoHandler delegate) {
            this.delegate = delegate;
        }

        @Override
        public void initialize() {
            delegate.initialize();
        }

        @Override
        public int run(IoHandlerContext context) {
            return delegate.run(context);
        }

        @Override
        public void prepareToDestroy() {
            delegate.prepareToDestroy();
        }

        @Override
        public void destroy() {
            delegate.destroy();
        }

        @Override
        public IoRegistration register(IoHandle handle) throws Exception {
            return new KeepRegistered(delegate.register(handle));
        }

        @Override
        public void wakeup() {
            delegate.wakeup();
        }

        @Override
        public boolean isCompatible(Class<? extends IoHandle> handleType) {
            return delegate.isCompatible(handleType);
        }
    }

    private static final class KeepRegistered implements IoRegistration {
        private final IoRegistration delegate;

        KeepRegistered(IoRegistration delegate) {
            this.delegate = delegate;
        }

        @Override
        public <T> T attachment() {
            return delegate.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            boolean empty = ops instanceof EpollIoOps && ((EpollIoOps) ops).value() == 0;
            return delegate.submit(empty ? EpollIoOps.EPOLLET : ops);
        }

        @Override
        public boolean isValid() {
            return delegate.isValid();
        }

        @Override
        public boolean cancel() {
            return delegate.cancel();
        }
    }
}
