package dev.ferryproxy.connect;

import dev.ferryproxy.client.ProxyUri;
import dev.ferryproxy.client.SocksClientHandshake;
import dev.ferryproxy.client.SocksReply;
import dev.ferryproxy.client.SocksTarget;
import dev.ferryproxy.resolve.NameResolver;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

/**
 * Opens the outbound connection of a CONNECT through an {@link Upstream}: dials the first parent
 * proxy the way {@link TargetConnector} dials a target (its name resolved without blocking, each
 * address tried in turn), then runs the client library's handshake through every hop to the
 * destination.
 *
 * <p>The channel it gives is ready for the relay exactly like a direct one: on the client's event
 * loop, auto-read off, nothing read yet. Bytes the last hop sent right behind its reply are held
 * by the handshake's {@value SocksClientHandshake#HOLD_NAME} handler and reach the relay on its
 * first read.
 *
 * <p>Failures are told apart for the reply: a parent that cannot be reached, or that breaks the
 * handshake, fails with {@link UpstreamFailedException}; a parent's refusal fails with the client
 * library's {@link dev.ferryproxy.client.SocksReplyException}, whose code is passed on.
 */
public final class UpstreamConnector {
    private final TargetConnector connector;
    private final NameResolver resolver;
    private final Duration handshakeTimeout;

    /**
     * @param connector dials the first hop
     * @param resolver resolves names for hops that do not resolve at the proxy (socks4, socks5)
     * @param handshakeTimeout the most all hops' handshakes may take together
     */
    public UpstreamConnector(TargetConnector connector, NameResolver resolver, Duration handshakeTimeout) {
        this.connector = connector;
        this.resolver = resolver;
        this.handshakeTimeout = handshakeTimeout;
    }

    /**
     * Connects to {@code target} through {@code upstream}, on {@code loop}. Cancelling the
     * returned future abandons the attempt and closes the channel it opened.
     */
    public Future<Channel> connect(Upstream upstream, SocksTarget target, EventLoop loop) {
        Promise<Channel> promise = loop.newPromise();
        Future<Channel> connecting = connectToFirstHop(upstream, loop);
        cancelWith(promise, connecting);
        connecting.addListener(connected -> {
            if (!connected.isSuccess()) {
                promise.tryFailure(connected.cause());
            } else {
                handshake(upstream, target, connecting.getNow(), promise);
            }
        });
        return promise;
    }

    /**
     * Connects to the first parent of {@code upstream}, on {@code loop}, for a handshake the caller
     * runs (UDP ASSOCIATE). Fails with {@link UpstreamFailedException}.
     */
    public Future<Channel> connectToFirstHop(Upstream upstream, EventLoop loop) {
        Promise<Channel> promise = loop.newPromise();
        ProxyUri first = upstream.firstHop();
        Future<List<InetAddress>> resolving = connector.resolve(first.host(), loop);
        cancelWith(promise, resolving);
        resolving.addListener(resolved -> {
            if (!resolved.isSuccess()) {
                promise.tryFailure(new UpstreamFailedException(upstream, "cannot resolve " + first.host(),
                        resolved.cause()));
                return;
            }
            Future<Channel> connecting = connector.connect(resolving.getNow(), first.port(), loop);
            cancelWith(promise, connecting);
            connecting.addListener(connected -> {
                if (!connected.isSuccess()) {
                    promise.tryFailure(new UpstreamFailedException(upstream, "cannot connect to " + first,
                            connected.cause()));
                } else if (!promise.trySuccess(connecting.getNow())) {
                    connecting.getNow().close();
                }
            });
        });
        return promise;
    }

    /** Resolves names for hops that do not resolve at the proxy. */
    public NameResolver resolver() {
        return resolver;
    }

    /** The most all hops' handshakes may take together. */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    private void handshake(Upstream upstream, SocksTarget target, Channel channel, Promise<Channel> promise) {
        Future<SocksReply> reply = SocksClientHandshake.connect(channel, upstream.hops(), target, resolver,
                handshakeTimeout, null);
        cancelWith(promise, reply);
        reply.addListener(done -> {
            if (done.isSuccess()) {
                if (!promise.trySuccess(channel)) {
                    channel.close();
                }
            } else {
                // The handshake has closed the channel.
                promise.tryFailure(UpstreamFailedException.unlessRefusal(upstream, done.cause()));
            }
        });
    }

    /** A cancelled promise cancels the step under way (the handshake then closes its channel). */
    private static void cancelWith(Promise<Channel> promise, Future<?> step) {
        promise.addListener(done -> {
            if (done.isCancelled()) {
                step.cancel(false);
                if (step.isSuccess() && step.getNow() instanceof Channel) {
                    ((Channel) step.getNow()).close();
                }
            }
        });
    }
}
