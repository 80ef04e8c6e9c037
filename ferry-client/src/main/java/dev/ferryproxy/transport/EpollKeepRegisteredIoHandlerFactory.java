package dev.ferryproxy.transport;

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
 *
 * <p>Also: an interest set equal to the one last submitted is not submitted again. Netty 4.2.18
 * resubmits the current set when an outbound connect completes ({@code fulfillConnectPromise}
 * calls {@code submitCurrentOps}), although the connect's own EPOLLOUT already added the socket
 * with it: one EPOLL_CTL_MOD per CONNECT that changes nothing (docs/performance.md, "Syscalls per
 * tunnel"). Nothing is lost by skipping it: readiness that arrives for a set already in force is
 * reported by the next wait anyway.
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
        /** No interest set submitted yet (Netty's values are never negative). */
        private static final int NONE_SUBMITTED = -1;
        private static final boolean SKIP_UNCHANGED = Boolean.parseBoolean(System.getProperty("ferry.skip", "true"));

        private final IoRegistration delegate;
        /** The interest set epoll has now for this socket, as last submitted. */
        private int submitted = NONE_SUBMITTED;

        KeepRegistered(IoRegistration delegate) {
            this.delegate = delegate;
        }

        @Override
        public <T> T attachment() {
            return delegate.attachment();
        }

        @Override
        public synchronized long submit(IoOps ops) {
            if (!(ops instanceof EpollIoOps)) {
                submitted = NONE_SUBMITTED;
                return delegate.submit(ops);
            }
            EpollIoOps wanted = ((EpollIoOps) ops).value() == 0 ? EpollIoOps.EPOLLET : (EpollIoOps) ops;
            if (SKIP_UNCHANGED && wanted.value() == submitted && delegate.isValid()) {
                return submitted;
            }
            // Forgotten first: if the submit throws, the next one must not be skipped.
            submitted = NONE_SUBMITTED;
            long result = delegate.submit(wanted);
            if (result >= 0) {
                submitted = wanted.value();
            }
            return result;
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
