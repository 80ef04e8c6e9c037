package dev.ferryproxy.client;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksFrameDecoder;
import dev.ferryproxy.codec.v4.Socks4ClientDecoder;
import dev.ferryproxy.codec.v4.Socks4ClientEncoder;
import dev.ferryproxy.codec.v4.Socks4CommandRequest;
import dev.ferryproxy.codec.v4.Socks4CommandResponse;
import dev.ferryproxy.codec.v5.Socks5AuthMethod;
import dev.ferryproxy.codec.v5.Socks5ClientEncoder;
import dev.ferryproxy.codec.v5.Socks5CommandRequest;
import dev.ferryproxy.codec.v5.Socks5CommandResponse;
import dev.ferryproxy.codec.v5.Socks5CommandResponseDecoder;
import dev.ferryproxy.codec.v5.Socks5InitialRequest;
import dev.ferryproxy.codec.v5.Socks5InitialResponse;
import dev.ferryproxy.codec.v5.Socks5InitialResponseDecoder;
import dev.ferryproxy.codec.v5.Socks5PasswordAuthResponse;
import dev.ferryproxy.codec.v5.Socks5PasswordAuthResponseDecoder;
import dev.ferryproxy.resolve.NameResolver;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs the client side of the SOCKS handshakes on one connected channel, hop after hop: each hop
 * but the last is asked to CONNECT to the next, the last one to run the command.
 *
 * <p>It sits at the head of the pipeline with a decoder in front of it ({@code socksClientDecoder},
 * one {@link SocksFrameDecoder} per expected reply, replaced step by step so that bytes read ahead
 * pass from one to the next). Requests are written from its context, straight to the socket. All
 * of it runs on the channel's event loop; names are resolved with the {@link NameResolver}, which
 * never blocks.
 *
 * <p>On success it replaces itself with a {@link TunnelStartHold} and removes the decoder, whose
 * unread bytes go into the hold. On failure it removes the decoder (releasing what it held) and
 * itself, and closes the channel.
 */
final class ClientHandshakeHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ClientHandshakeHandler.class);

    private enum Step { NEW, RESOLVING, METHOD, LOGIN, REPLY, SECOND_REPLY, DONE }

    private final List<ProxyUri> hops;
    private final ClientCommand command;
    private final SocksTarget target;
    private final NameResolver resolver;
    private final Duration timeout;
    private final HandshakeObserver observer;
    private final Promise<SocksReply> firstReply;
    /** BIND's second reply; {@code null} for the other commands. */
    private final Promise<SocksReply> secondReply;

    private ChannelHandlerContext ctx;
    private Step step = Step.NEW;
    private int hop;
    private SocksAddress destination;
    private List<Integer> offeredMethods = List.of();
    private ScheduledFuture<?> timeoutTask;

    ClientHandshakeHandler(List<ProxyUri> hops, ClientCommand command, SocksTarget target, NameResolver resolver,
            Duration timeout, HandshakeObserver observer, Promise<SocksReply> firstReply,
            Promise<SocksReply> secondReply) {
        this.hops = hops;
        this.command = command;
        this.target = target;
        this.resolver = resolver;
        this.timeout = timeout;
        this.observer = observer;
        this.firstReply = firstReply;
        this.secondReply = secondReply;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Starts the first hop; called on the event loop right after the handler was added. */
    void begin() {
        Runnable onCancel = () -> {
            if (step != Step.DONE) {
                fail(new SocksException("handshake cancelled", proxy(), null));
            }
        };
        firstReply.addListener(f -> {
            if (f.isCancelled()) {
                onCancel.run();
            }
        });
        if (secondReply != null) {
            secondReply.addListener(f -> {
                if (f.isCancelled()) {
                    onCancel.run();
                }
            });
        }
        if (!timeout.isZero() && !timeout.isNegative()) {
            timeoutTask = ctx.executor().schedule(() -> fail(new SocksHandshakeTimeoutException(timeout, proxy(),
                    describeStep())), timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        beginHop();
    }

    // ---- steps -----------------------------------------------------------------------------------

    private void beginHop() {
        ProxyUri proxy = proxy();
        SocksTarget next = nextTarget();
        step = Step.RESOLVING;
        notifyObserver(o -> o.hopStarted(hop, proxy, System.nanoTime()));
        if (next.isIpLiteral() || proxy.protocol().resolvesAtProxy()) {
            sendFirstMessage(next.toSocksAddress());
            return;
        }
        if (resolver == null) {
            fail(new IllegalArgumentException(proxy + " resolves names locally, and no resolver was given for "
                    + next.host()));
            return;
        }
        int resolvingHop = hop;
        Future<List<InetAddress>> resolved;
        try {
            resolved = resolver.resolveAll(next.host(), ctx.channel().eventLoop());
        } catch (RuntimeException e) {
            fail(e);
            return;
        }
        resolved.addListener(f -> {
            if (step != Step.RESOLVING || hop != resolvingHop) {
                return; // failed or timed out meanwhile
            }
            if (!f.isSuccess()) {
                Throwable cause = f.cause();
                fail(cause instanceof UnknownHostException ? cause
                        : unknownHost(next.host() + ": " + cause.getMessage(), cause));
                return;
            }
            @SuppressWarnings("unchecked")
            List<InetAddress> addresses = (List<InetAddress>) f.getNow();
            InetAddress chosen = choose(addresses, proxy.protocol());
            if (chosen == null) {
                fail(new UnknownHostException(next.host() + ": no IPv4 address"
                        + (addresses.isEmpty() ? "" : " among " + addresses) + ", and " + proxy.protocol().scheme()
                        + " carries only IPv4"));
                return;
            }
            notifyObserver(o -> o.resolved(next.host(), chosen, System.nanoTime()));
            sendFirstMessage(SocksAddress.of(new InetSocketAddress(chosen, next.port())));
        });
    }

    private static UnknownHostException unknownHost(String message, Throwable cause) {
        UnknownHostException e = new UnknownHostException(message);
        e.initCause(cause);
        return e;
    }

    private static InetAddress choose(List<InetAddress> addresses, SocksProtocol protocol) {
        for (InetAddress address : addresses) {
            if (protocol.carriesIpv6() || address instanceof Inet4Address) {
                return address;
            }
        }
        return null;
    }

    private void sendFirstMessage(SocksAddress dst) {
        destination = dst;
        ProxyUri proxy = proxy();
        if (proxy.protocol().carriesIpv6()) {
            offeredMethods = proxy.hasCredentials() ? List.of(0x00, 0x02) : List.of(0x00);
            Socks5InitialRequest greeting = new Socks5InitialRequest(proxy.hasCredentials()
                    ? List.of(Socks5AuthMethod.NO_AUTH, Socks5AuthMethod.PASSWORD)
                    : List.of(Socks5AuthMethod.NO_AUTH));
            step = Step.METHOD;
            send(greeting, "greeting");
            notifyObserver(o -> o.greetingSent(offeredMethods, System.nanoTime()));
            expect(new Socks5InitialResponseDecoder());
        } else {
            sendRequest();
        }
    }

    private void sendRequest() {
        ProxyUri proxy = proxy();
        boolean last = isLastHop();
        ClientCommand cmd = last ? command : ClientCommand.CONNECT;
        step = Step.REPLY;
        if (proxy.protocol().carriesIpv6()) {
            send(new Socks5CommandRequest(cmd.socks5(), destination), "request");
            expect(new Socks5CommandResponseDecoder());
        } else {
            send(new Socks4CommandRequest(cmd.socks4(), destination, ""), "request");
            expect(new Socks4ClientDecoder());
        }
        SocksTarget requested = nextTarget();
        notifyObserver(o -> o.requestSent(cmd.name(), requested, System.nanoTime()));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (step == Step.DONE) {
            // Bytes the decoder held when it was removed after a failure.
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof Socks5InitialResponse) {
            onMethodSelected(((Socks5InitialResponse) msg).method());
        } else if (msg instanceof Socks5PasswordAuthResponse) {
            onLoginAnswered((Socks5PasswordAuthResponse) msg);
        } else if (msg instanceof Socks5CommandResponse) {
            onReply(SocksReply.of(proxy().protocol(), (Socks5CommandResponse) msg));
        } else if (msg instanceof Socks4CommandResponse) {
            onReply(SocksReply.of(proxy().protocol(), (Socks4CommandResponse) msg));
        } else {
            int bytes = msg instanceof ByteBuf ? ((ByteBuf) msg).readableBytes() : -1;
            ReferenceCountUtil.release(msg);
            fail(new MalformedReplyException((bytes >= 0 ? bytes + " bytes" : "data") + " the proxy sent before it was asked",
                    proxy(), null));
        }
    }

    private void onMethodSelected(Socks5AuthMethod method) {
        int code = method.byteValue() & 0xFF;
        notifyObserver(o -> o.methodSelected(code, System.nanoTime()));
        if (step != Step.METHOD) {
            fail(new MalformedReplyException("a method selection out of turn", proxy(), null));
        } else if (method.equals(Socks5AuthMethod.NO_AUTH)) {
            sendRequest();
        } else if (method.equals(Socks5AuthMethod.PASSWORD) && proxy().hasCredentials()) {
            step = Step.LOGIN;
            send(proxy().passwordAuthRequest(), "user name and password");
            expect(new Socks5PasswordAuthResponseDecoder());
        } else if (method.equals(Socks5AuthMethod.UNACCEPTED)) {
            fail(new NoAcceptableMethodException(offeredMethods, proxy()));
        } else {
            fail(new MalformedReplyException(String.format("the proxy selected method 0x%02x, which was not offered",
                    code), proxy(), null));
        }
    }

    private void onLoginAnswered(Socks5PasswordAuthResponse response) {
        notifyObserver(o -> o.authenticated(response.isSuccess(), System.nanoTime()));
        if (step != Step.LOGIN) {
            fail(new MalformedReplyException("a login reply out of turn", proxy(), null));
        } else if (response.isSuccess()) {
            sendRequest();
        } else {
            fail(new SocksAuthenticationException(response.status() & 0xFF, proxy()));
        }
    }

    private void onReply(SocksReply reply) {
        notifyObserver(o -> o.replyReceived(reply, System.nanoTime()));
        if (step != Step.REPLY && step != Step.SECOND_REPLY) {
            fail(new MalformedReplyException("a reply out of turn", proxy(), null));
            return;
        }
        if (!reply.isSuccess()) {
            fail(SocksReplyException.of(reply, proxy()));
            return;
        }
        if (step == Step.REPLY && !isLastHop()) {
            hop++;
            beginHop();
        } else if (step == Step.REPLY && command.hasSecondReply()) {
            // BIND: the proxy listens. The second reply comes whenever the peer connects: no timeout.
            cancelTimeout();
            step = Step.SECOND_REPLY;
            if (!firstReply.trySuccess(reply)) {
                fail(new SocksException("handshake cancelled", proxy(), null));
                return;
            }
            // After the first reply's listeners (which may have closed the channel): a fresh
            // decoder takes over whatever came behind the first reply.
            expect(proxy().protocol().carriesIpv6() ? new Socks5CommandResponseDecoder() : new Socks4ClientDecoder());
        } else {
            succeed(reply);
        }
    }

    private void succeed(SocksReply reply) {
        step = Step.DONE;
        cancelTimeout();
        ChannelPipeline pipeline = ctx.pipeline();
        // The hold takes this handler's place, then the decoder's unread bytes flow into it.
        pipeline.replace(this, SocksClientHandshake.HOLD_NAME, new TunnelStartHold());
        if (pipeline.context(SocksClientHandshake.DECODER_NAME) != null) {
            pipeline.remove(SocksClientHandshake.DECODER_NAME);
        }
        Promise<SocksReply> last = secondReply != null ? secondReply : firstReply;
        if (!last.trySuccess(reply)) {
            ctx.channel().close();
        }
    }

    /** Fails the handshake: cleans the pipeline, closes the channel, fails the promises. */
    private void fail(Throwable cause) {
        if (step == Step.DONE) {
            return;
        }
        step = Step.DONE;
        cancelTimeout();
        ChannelPipeline pipeline = ctx.pipeline();
        // The decoder first: what it held comes here, while this handler is still in place, and is released.
        if (pipeline.context(SocksClientHandshake.DECODER_NAME) != null) {
            pipeline.remove(SocksClientHandshake.DECODER_NAME);
        }
        if (pipeline.context(this) != null) {
            pipeline.remove(this);
        }
        ctx.channel().close();
        firstReply.tryFailure(cause);
        if (secondReply != null) {
            secondReply.tryFailure(cause);
        }
    }

    // ---- channel events --------------------------------------------------------------------------

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Auto-read is off: ask for more while a reply is awaited. The caller's handlers see nothing yet.
        if (awaitingBytes()) {
            ctx.read();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && step != Step.DONE) {
            fail(new SocksException("the proxy closed the connection while the client waited for "
                    + describeStep(), proxy(), null));
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (step != Step.DONE) {
            fail(new SocksException("the connection closed while the client waited for " + describeStep(), proxy(),
                    null));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (step == Step.DONE) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        if (cause instanceof DecoderException) {
            fail(new MalformedReplyException(cause.getMessage() + " (waiting for " + describeStep() + ")", proxy(),
                    cause));
        } else if (cause instanceof IOException) {
            fail(new SocksException("the connection failed while the client waited for " + describeStep() + ": "
                    + cause.getMessage(), proxy(), cause));
        } else {
            fail(new SocksException("handshake failed: " + cause, proxy(), cause));
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private void send(Object message, String what) {
        ByteBuf out;
        if (message instanceof Socks4CommandRequest) {
            Socks4CommandRequest request = (Socks4CommandRequest) message;
            out = ctx.alloc().ioBuffer(Socks4ClientEncoder.encodedLength(request));
            try {
                Socks4ClientEncoder.encode(request, out);
            } catch (RuntimeException e) {
                out.release();
                throw e;
            }
        } else {
            out = ctx.alloc().ioBuffer(Socks5ClientEncoder.encodedLength(message));
            Socks5ClientEncoder.encode(message, out);
        }
        ProxyUri proxy = proxy();
        ctx.writeAndFlush(out).addListener(f -> {
            if (!f.isSuccess()) {
                fail(new SocksException("could not send the " + what + ": " + f.cause().getMessage(), proxy,
                        f.cause()));
            }
        });
    }

    /** Puts the decoder for the next reply in place and asks for bytes. */
    private void expect(SocksFrameDecoder decoder) {
        if (step == Step.DONE) {
            return; // failed meanwhile (a write failed, or a listener closed the channel)
        }
        ChannelPipeline pipeline = ctx.pipeline();
        if (pipeline.context(SocksClientHandshake.DECODER_NAME) != null) {
            // Bytes the old decoder read ahead pass to the new one.
            pipeline.replace(SocksClientHandshake.DECODER_NAME, SocksClientHandshake.DECODER_NAME, decoder);
        } else {
            pipeline.addBefore(ctx.name(), SocksClientHandshake.DECODER_NAME, decoder);
        }
        if (awaitingBytes()) {
            ctx.read();
        }
    }

    private boolean awaitingBytes() {
        return step == Step.METHOD || step == Step.LOGIN || step == Step.REPLY || step == Step.SECOND_REPLY;
    }

    private ProxyUri proxy() {
        return hops.get(hop);
    }

    private boolean isLastHop() {
        return hop == hops.size() - 1;
    }

    /** Where the current hop is asked to go: the next hop, or the target. */
    private SocksTarget nextTarget() {
        return isLastHop() ? target : hops.get(hop + 1).target();
    }

    private String describeStep() {
        switch (step) {
            case NEW:
            case RESOLVING:
                return "the local resolution of " + nextTarget().host();
            case METHOD:
                return "the method selection";
            case LOGIN:
                return "the reply to the user name and password";
            case REPLY:
                return "the reply to " + (isLastHop() ? command : ClientCommand.CONNECT) + " " + nextTarget();
            case SECOND_REPLY:
                return "the second reply to BIND";
            default:
                return "nothing";
        }
    }

    private void cancelTimeout() {
        if (timeoutTask != null) {
            timeoutTask.cancel(false);
            timeoutTask = null;
        }
    }

    private void notifyObserver(Consumer<HandshakeObserver> event) {
        if (observer == null) {
            return;
        }
        try {
            event.accept(observer);
        } catch (RuntimeException e) {
            log.warn("handshake observer failed, ignored", e);
        }
    }
}
