package dev.ferryproxy.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A tunnel for blocking code: an {@link InputStream} and an {@link OutputStream} over the channel
 * {@link SocksClient#connect} returned.
 *
 * <p>No event loop ever waits for the caller. What the tunnel receives is copied and queued by
 * the event loop without locks (the buffers it read are released there, never on the caller's
 * thread); past {@value #HIGH_WATER_MARK_BYTES} queued bytes the channel stops reading
 * (the proxy, and through it the target, is then held back by TCP), and reading resumes once the
 * caller has taken the queue below {@value #LOW_WATER_MARK_BYTES}. A write hands a copy of the
 * bytes to the event loop, then blocks while the channel's outbound buffer is above its high
 * water mark. So memory stays bounded both ways.
 *
 * <p>{@code output().close()} shuts the output down (the peer reads end of stream, and can still
 * answer), as {@link #shutdownOutput()}. {@code input().close()} and {@link #close()} close the
 * connection. Each stream is for one thread at a time; reading and writing may run on two threads.
 * None of the blocking methods may be called on an event loop.
 */
public final class SocksStreams implements Closeable {
    /** Queued inbound bytes above which the channel stops reading. */
    public static final int HIGH_WATER_MARK_BYTES = 256 * 1024;
    /** Queued inbound bytes below which it reads again. */
    public static final int LOW_WATER_MARK_BYTES = 64 * 1024;

    private static final int MAX_WRITE_CHUNK = 64 * 1024;
    /** The longest a blocked thread parks before it looks again (a safety net: wake-ups are signalled). */
    private static final long PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    static final String BRIDGE_NAME = "socksStreams";

    private final Channel channel;
    private final SocksReply reply;
    /**
     * What was received, as arrays copied on the event loop: pooled buffers are released on the
     * loop that allocated them (Netty's pooled allocators lock when another thread frees into
     * them, and an event loop must never wait for a lock a caller's thread holds).
     */
    private final Queue<byte[]> inbound = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final Input input = new Input();
    private final Output output = new Output();

    private volatile boolean endOfInput;
    private volatile Throwable failure;
    private volatile boolean closed;
    private volatile boolean outputShut;
    /** Set on the event loop when reading was paused for a full queue. */
    private volatile boolean paused;
    private volatile Thread reader;
    private volatile Thread writer;

    /** Attaches to a tunnel; called on its event loop, with auto-read off and the pipeline clean. */
    SocksStreams(Channel channel, SocksReply reply) {
        this.channel = channel;
        this.reply = reply;
        channel.pipeline().addLast(BRIDGE_NAME, new Bridge());
        channel.config().setAutoRead(true);
    }

    /** What the target sends; blocks until bytes come, and ends (-1) when the target's side ends. */
    public InputStream input() {
        return input;
    }

    /** What goes to the target; a write blocks while the channel is not writable (its outbound buffer is full). */
    public OutputStream output() {
        return output;
    }

    /** The proxy's reply to CONNECT. */
    public SocksReply reply() {
        return reply;
    }

    /** The address the proxy connected to the target from (BND.ADDR, BND.PORT). */
    public InetSocketAddress boundAddress() {
        return reply.bound();
    }

    /** Bytes received and not read yet (for tests and diagnostics). */
    long queuedBytes() {
        return queuedBytes.get();
    }

    /** Whether the channel has stopped reading because too much is queued. */
    boolean readingPaused() {
        return paused;
    }

    /**
     * Sends everything written so far, then shuts the output down: the target reads end of
     * stream, and can still answer. Blocks until done.
     */
    public void shutdownOutput() throws IOException {
        if (outputShut) {
            return;
        }
        outputShut = true;
        checkNotOnEventLoop();
        // shutdownOutput drops what is still queued: let the queue drain first.
        ChannelFuture flushed = channel.writeAndFlush(Unpooled.EMPTY_BUFFER);
        awaitUninterruptibly(flushed);
        if (!flushed.isSuccess()) {
            throw ioException("could not send the last bytes", flushed.cause());
        }
        if (channel instanceof DuplexChannel) {
            ChannelFuture shut = ((DuplexChannel) channel).shutdownOutput();
            awaitUninterruptibly(shut);
            if (!shut.isSuccess()) {
                throw ioException("could not shut the output down", shut.cause());
            }
        }
    }

    /** Closes the connection and drops whatever was received and not read. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        inbound.clear();
        LockSupport.unpark(reader);
        LockSupport.unpark(writer);
        ChannelFuture closing = channel.close();
        if (!channel.eventLoop().inEventLoop()) {
            closing.awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    private void checkNotOnEventLoop() {
        if (channel.eventLoop().inEventLoop()) {
            throw new IllegalStateException("blocking stream call on the tunnel's event loop");
        }
    }

    private static void awaitUninterruptibly(ChannelFuture future) {
        future.awaitUninterruptibly();
    }

    private static IOException ioException(String message, Throwable cause) {
        return cause instanceof IOException ? new IOException(message + ": " + cause.getMessage(), cause)
                : new IOException(message, cause);
    }

    // ---- event loop side ---------------------------------------------------------------------------

    /** Queues reads for the reader thread and pauses reading when the queue is full. */
    private final class Bridge extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf) || closed) {
                ReferenceCountUtil.release(msg);
                return;
            }
            ByteBuf buf = (ByteBuf) msg;
            byte[] bytes;
            try {
                if (!buf.isReadable()) {
                    return;
                }
                bytes = ByteBufUtil.getBytes(buf);
            } finally {
                buf.release();
            }
            inbound.add(bytes);
            if (queuedBytes.addAndGet(bytes.length) > HIGH_WATER_MARK_BYTES && !paused) {
                paused = true;
                ctx.channel().config().setAutoRead(false);
            }
            LockSupport.unpark(reader);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                endOfInput = true;
                LockSupport.unpark(reader);
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            LockSupport.unpark(writer);
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            endOfInput = true;
            LockSupport.unpark(reader);
            LockSupport.unpark(writer);
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (failure == null) {
                failure = cause;
            }
            LockSupport.unpark(reader);
            LockSupport.unpark(writer);
            ctx.close();
        }
    }

    /** On the event loop: reads again if the caller has drained the queue enough. */
    private void resumeIfDrained() {
        if (paused && queuedBytes.get() < LOW_WATER_MARK_BYTES && channel.isActive()) {
            paused = false;
            if (!(channel instanceof DuplexChannel) || !((DuplexChannel) channel).isInputShutdown()) {
                channel.config().setAutoRead(true);
            }
        }
    }

    // ---- caller side ----------------------------------------------------------------------------------

    private final class Input extends InputStream {
        /** The array being read, and how far; only the reading thread touches them. */
        private byte[] chunk;
        private int chunkOffset;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            checkNotOnEventLoop();
            reader = Thread.currentThread();
            try {
                while (true) {
                    if (closed) {
                        throw new IOException("the tunnel is closed");
                    }
                    if (chunk == null) {
                        chunk = inbound.poll();
                        chunkOffset = 0;
                    }
                    if (chunk != null) {
                        int n = Math.min(len, chunk.length - chunkOffset);
                        System.arraycopy(chunk, chunkOffset, b, off, n);
                        chunkOffset += n;
                        if (chunkOffset == chunk.length) {
                            chunk = null;
                        }
                        long left = queuedBytes.addAndGet(-n);
                        if (paused && left < LOW_WATER_MARK_BYTES) {
                            channel.eventLoop().execute(SocksStreams.this::resumeIfDrained);
                        }
                        return n;
                    }
                    // Check the end only after the queue: reads are queued before the end is flagged.
                    if (endOfInput || failure != null) {
                        if (inbound.isEmpty()) {
                            if (failure != null) {
                                throw ioException("the tunnel failed", failure);
                            }
                            return -1;
                        }
                        continue;
                    }
                    LockSupport.parkNanos(this, PARK_NANOS);
                    if (Thread.interrupted()) {
                        throw new InterruptedIOException("interrupted while waiting for data");
                    }
                }
            } finally {
                reader = null;
            }
        }

        @Override
        public int available() {
            return (int) Math.min(Integer.MAX_VALUE, Math.max(0, queuedBytes.get()));
        }

        @Override
        public void close() {
            SocksStreams.this.close();
        }
    }

    private final class Output extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            checkNotOnEventLoop();
            for (int done = 0; done < len; ) {
                checkWritable();
                int n = Math.min(MAX_WRITE_CHUNK, len - done);
                // Unpooled: a pooled allocator shared with the event loops could make them wait for
                // this thread (see the inbound queue).
                ByteBuf buf = Unpooled.directBuffer(n).writeBytes(b, off + done, n);
                channel.writeAndFlush(buf).addListener(f -> {
                    if (!f.isSuccess() && failure == null) {
                        failure = f.cause();
                        LockSupport.unpark(writer);
                    }
                });
                done += n;
                awaitWritable();
            }
        }

        private void checkWritable() throws IOException {
            if (closed) {
                throw new IOException("the tunnel is closed");
            }
            if (outputShut) {
                throw new IOException("the output is shut down");
            }
            if (failure != null) {
                throw ioException("the tunnel failed", failure);
            }
            if (!channel.isActive()) {
                throw new IOException("the connection is closed");
            }
        }

        /** Blocks while the outbound buffer is over its high water mark. */
        private void awaitWritable() throws IOException {
            writer = Thread.currentThread();
            try {
                while (!channel.isWritable() && channel.isActive() && !closed && failure == null) {
                    LockSupport.parkNanos(this, PARK_NANOS);
                    if (Thread.interrupted()) {
                        throw new InterruptedIOException("interrupted while waiting to write");
                    }
                }
            } finally {
                writer = null;
            }
        }

        @Override
        public void flush() {
            // every write is flushed
        }

        @Override
        public void close() throws IOException {
            shutdownOutput();
        }
    }
}
