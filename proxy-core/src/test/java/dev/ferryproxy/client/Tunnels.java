package dev.ferryproxy.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.SeededBytes;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.concurrent.Future;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Transfers through tunnels made by {@link SocksClient}, checked by SHA-256, with both of its APIs. */
final class Tunnels {
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** Bytes sent through each tunnel in the transfer tests: a few MiB, well past every buffer on the way. */
    static final int TRANSFER_BYTES = 3 * 1024 * 1024;

    private Tunnels() {
    }

    /**
     * Sends {@code length} seeded bytes through a blocking tunnel to an echo target, half-closes,
     * and reads everything back on another thread: what came back must be what was sent.
     */
    static void echoThroughStreams(SocksClient client, SocksTarget echo, long seed, int length) throws Exception {
        echoThroughStreams(client, echo, seed, length, true);
    }

    /**
     * As {@link #echoThroughStreams(SocksClient, SocksTarget, long, int)}; without {@code halfClose}
     * the reader stops after {@code length} bytes and only then is the tunnel closed, for proxies
     * that close both directions at the first end of stream (microsocks).
     */
    static void echoThroughStreams(SocksClient client, SocksTarget echo, long seed, int length, boolean halfClose)
            throws Exception {
        try (SocksStreams streams = client.connectStreams(echo)) {
            assertThat(streams.boundAddress()).isNotNull();
            CompletableFuture<SeededBytes.Digest> received = CompletableFuture.supplyAsync(() -> {
                try {
                    return SeededBytes.readAndDigest(halfClose ? streams.input()
                            : new java.io.FilterInputStream(streams.input()) {
                                private long left = length;

                                @Override
                                public int read(byte[] b, int off, int len) throws IOException {
                                    if (left == 0) {
                                        return -1;
                                    }
                                    int n = super.read(b, off, (int) Math.min(len, left));
                                    if (n > 0) {
                                        left -= n;
                                    }
                                    return n;
                                }
                            });
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            String sent = SeededBytes.writeAndDigest(streams.output(), seed, length);
            if (halfClose) {
                streams.shutdownOutput();
            }
            SeededBytes.Digest digest = received.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(digest.count()).as("bytes echoed through %s", echo).isEqualTo(length);
            assertThat(digest.sha256()).as("SHA-256 of the bytes echoed through %s", echo).isEqualTo(sent);
        }
    }

    /**
     * The same with the channel API: the tunnel's channel gets a digesting handler, the payload is
     * written in 64 KiB buffers, then the output is shut down; the echo must match.
     */
    static void echoThroughChannel(SocksClient client, SocksTarget echo, long seed, int length) throws Exception {
        echoThroughChannel(client, echo, seed, length, true);
    }

    /** As {@link #echoThroughChannel(SocksClient, SocksTarget, long, int)}, optionally without half-close. */
    static void echoThroughChannel(SocksClient client, SocksTarget echo, long seed, int length, boolean halfClose)
            throws Exception {
        Channel tunnel = await(client.connect(echo));
        try {
            assertThat(tunnel.attr(SocksClient.REPLY).get().isSuccess()).isTrue();
            DigestingHandler digesting = new DigestingHandler(halfClose ? -1 : length);
            tunnel.pipeline().addLast(digesting);
            tunnel.config().setAutoRead(true);
            byte[] payload = SeededBytes.generate(seed, length);
            for (int off = 0; off < length; off += 64 * 1024) {
                tunnel.write(Unpooled.wrappedBuffer(payload, off, Math.min(64 * 1024, length - off)));
            }
            tunnel.flush();
            if (halfClose) {
                tunnel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> ((DuplexChannel) tunnel).shutdownOutput());
            }
            SeededBytes.Digest digest = digesting.result.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(digest.count()).isEqualTo(length);
            assertThat(digest.sha256()).isEqualTo(SeededBytes.sha256Hex(payload));
        } finally {
            tunnel.close().syncUninterruptibly();
        }
    }

    /**
     * Through a BIND tunnel: the peer echoes what it reads; the tunnel side sends {@code length}
     * bytes, half-closes, and checks the echo and its end.
     */
    static void exchangeWithPeer(Channel tunnel, Socket peer, int length) throws Exception {
        CompletableFuture<Void> echoing = CompletableFuture.runAsync(() -> {
            try {
                InputStream in = peer.getInputStream();
                OutputStream out = peer.getOutputStream();
                in.transferTo(out);
                peer.shutdownOutput();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        DigestingHandler digesting = new DigestingHandler();
        tunnel.pipeline().addLast(digesting);
        tunnel.config().setAutoRead(true);
        byte[] payload = SeededBytes.generate(length, length);
        tunnel.writeAndFlush(Unpooled.wrappedBuffer(payload))
                .addListener(f -> ((DuplexChannel) tunnel).shutdownOutput());
        SeededBytes.Digest digest = digesting.result.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(digest.count()).isEqualTo(length);
        assertThat(digest.sha256()).isEqualTo(SeededBytes.sha256Hex(payload));
        echoing.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits for a Netty future and returns its value, or throws its failure as is. */
    static <T> T await(Future<T> future) throws Exception {
        if (!future.await(TIMEOUT.toMillis())) {
            throw new TimeoutException("no result within " + TIMEOUT);
        }
        if (!future.isSuccess()) {
            Throwable cause = future.cause();
            if (cause instanceof Exception) {
                throw (Exception) cause;
            }
            throw new ExecutionException(cause);
        }
        return future.getNow();
    }

    /** Waits for a Netty future to fail and returns the failure. */
    static Throwable failureOf(Future<?> future) throws InterruptedException {
        assertThat(future.await(TIMEOUT.toMillis())).as("completed within %s", TIMEOUT).isTrue();
        assertThat(future.isSuccess()).as("failed: %s", future).isFalse();
        return future.cause();
    }

    /** Digests everything read until the end of input (or until an expected count). */
    static final class DigestingHandler extends ChannelInboundHandlerAdapter {
        final CompletableFuture<SeededBytes.Digest> result = new CompletableFuture<>();
        private final MessageDigest digest = SeededBytes.sha256();
        private final long expected;
        private long count;

        DigestingHandler() {
            this(-1);
        }

        /** @param expected completes after this many bytes; -1 for the end of input */
        DigestingHandler(long expected) {
            this.expected = expected;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                count += buf.readableBytes();
                digest.update(buf.nioBuffer());
            } finally {
                buf.release();
            }
            if (count == expected) {
                result.complete(new SeededBytes.Digest(count, SeededBytes.hex(digest)));
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                result.complete(new SeededBytes.Digest(count, SeededBytes.hex(digest)));
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            result.complete(new SeededBytes.Digest(count, SeededBytes.hex(digest)));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            result.completeExceptionally(cause);
            ctx.close();
        }
    }

    /**
     * Asks for a BIND that expects {@code expectedPeer}, checks the first reply names a loopback
     * listener, connects a real peer to it, checks the second reply names that peer, and then
     * exchanges {@code length} bytes each way through the tunnel.
     */
    static void bindAndExchange(SocksClient client, SocksTarget expectedPeer, int length) throws Exception {
        SocksBind bind = await(client.bind(expectedPeer));
        try {
            assertThat(bind.firstReply().isSuccess()).isTrue();
            InetSocketAddress listen = bind.listenAddress();
            assertThat(listen.getAddress()).isEqualTo(Loopback.IPV4);
            assertThat(listen.getPort()).isPositive();
            assertThat(bind.incoming().isDone()).as("no peer yet").isFalse();
            try (Socket peer = new Socket()) {
                peer.connect(listen, 5000);
                peer.setSoTimeout(20_000);
                SocksBind.Incoming incoming = await(bind.incoming());
                assertThat(incoming.reply().isSuccess()).isTrue();
                assertThat(incoming.peerAddress()).isEqualTo(peer.getLocalSocketAddress());
                assertThat(incoming.channel()).isSameAs(bind.channel());
                exchangeWithPeer(incoming.channel(), peer, length);
            }
        } finally {
            bind.close();
        }
    }
}
