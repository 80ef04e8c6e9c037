package dev.ferryproxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

import java.util.concurrent.atomic.LongAdder;

/**
 * One channel's receive allocator, wrapping the one it had, that also hears what kernel splices
 * from the channel report: it is how a spliced tunnel counts its bytes, and how its splice is
 * stopped.
 *
 * <p>Why here: a splice bypasses the pipeline, and Netty (4.2.18, {@code AbstractEpollStreamChannel})
 * completes a {@code spliceTo} promise only when its whole length has gone, so a partial last
 * chunk could not be counted from promises. But every {@code splice(2)} from the socket reports
 * its byte count to the channel's read handle ({@code lastBytesRead}), as a buffer read does; a
 * buffer read is preceded by {@code allocate}, a splice is not. So the counts here are exactly the
 * bytes the kernel moved, with buffer reads left to {@link RelayHandler}.
 *
 * <p>Stopping: Netty's splice task leaves the channel only when its length is used up, it fails,
 * or the channel closes; cancelling its promise does nothing. A splice asks the handle how much
 * to move ({@code guess}) before each attempt, and a failure there ends the task (its promise
 * fails with {@link #STOPPED}); reads then go on in buffers through the pipeline. That is how the
 * end of a spliced stream is read: see {@link SpliceRelay}.
 *
 * <p>Only the channel's event loop uses an instance.
 */
public final class SpliceTap implements RecvByteBufAllocator {
    /** What a splice stopped by {@link #stopSplicing()} fails with (no stack trace: it is expected). */
    static final RuntimeException STOPPED = new SpliceStoppedException();

    private final RecvByteBufAllocator delegate;
    private Channel source;
    private LongAdder counter;
    private RelayObserver observer;
    private boolean stopRequested;

    private SpliceTap(RecvByteBufAllocator delegate) {
        this.delegate = delegate;
    }

    /** Wraps the channel's receive allocator; to be called before its first read. */
    static void install(Channel channel) {
        RecvByteBufAllocator current = channel.config().getRecvByteBufAllocator();
        if (!(current instanceof SpliceTap)) {
            channel.config().setRecvByteBufAllocator(new SpliceTap(current));
        }
    }

    /** The channel's tap, or {@code null} when it has none. */
    static SpliceTap of(Channel channel) {
        RecvByteBufAllocator allocator = channel.config().getRecvByteBufAllocator();
        return allocator instanceof SpliceTap ? (SpliceTap) allocator : null;
    }

    /** From now on, adds what each splice from {@code source} moves to {@code counter} and tells {@code observer}. */
    void countTo(Channel source, LongAdder counter, RelayObserver observer) {
        this.source = source;
        this.counter = counter;
        this.observer = observer;
    }

    /** Makes the splice under way fail with {@link #STOPPED} at its next attempt. */
    void stopSplicing() {
        stopRequested = true;
    }

    private void spliced(int bytes) {
        if (bytes > 0 && counter != null) {
            counter.add(bytes);
            observer.read(source, bytes);
        }
    }

    @Override
    public Handle newHandle() {
        return new TapHandle((ExtendedHandle) delegate.newHandle());
    }

    private final class TapHandle implements ExtendedHandle {
        private final ExtendedHandle delegate;
        /** An allocate came first: the next count is a buffer read, which the pipeline counts. */
        private boolean bufferRead;

        TapHandle(ExtendedHandle delegate) {
            this.delegate = delegate;
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            bufferRead = true;
            return delegate.allocate(alloc);
        }

        @Override
        public int guess() {
            // Only a splice asks for a guess through the channel's handle (a buffer read asks its own).
            if (stopRequested) {
                stopRequested = false;
                throw STOPPED;
            }
            return delegate.guess();
        }

        @Override
        public void lastBytesRead(int bytes) {
            delegate.lastBytesRead(bytes);
            if (bufferRead) {
                bufferRead = false;
            } else {
                spliced(bytes);
            }
        }

        @Override
        public int lastBytesRead() {
            return delegate.lastBytesRead();
        }

        @Override
        public void reset(ChannelConfig config) {
            delegate.reset(config);
        }

        @Override
        public void incMessagesRead(int numMessages) {
            delegate.incMessagesRead(numMessages);
        }

        @Override
        public void attemptedBytesRead(int bytes) {
            delegate.attemptedBytesRead(bytes);
        }

        @Override
        public int attemptedBytesRead() {
            return delegate.attemptedBytesRead();
        }

        @Override
        public boolean continueReading() {
            return delegate.continueReading();
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return delegate.continueReading(maybeMoreDataSupplier);
        }

        @Override
        public void readComplete() {
            delegate.readComplete();
        }
    }

    private static final class SpliceStoppedException extends RuntimeException {
        SpliceStoppedException() {
            super("splice stopped", null, false, false);
        }
    }
}
