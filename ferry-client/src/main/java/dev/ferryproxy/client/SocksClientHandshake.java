package dev.ferryproxy.client;

import dev.ferryproxy.resolve.NameResolver;
import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The low-level primitive: runs the client side of the SOCKS handshakes on an already connected
 * channel, one hop after the other (chaining), and leaves the channel clean.
 *
 * <p><b>The pipeline.</b> While it runs, two handlers sit at the head of the pipeline,
 * {@value #DECODER_NAME} and {@value #HANDSHAKE_NAME}; requests go straight to the socket, past
 * any outbound handler of the caller, and no read reaches the caller's handlers. Auto-read is
 * turned off for the whole handshake. On success both are gone and one handler,
 * {@value #HOLD_NAME}, stands at the head in their place. It holds whatever the channel received
 * after the last reply (bytes the target sent right behind it, an end of input), and it removes
 * itself at the first read: when the caller turns auto-read on, or calls {@code channel.read()},
 * it fires what it holds to the handlers after it, in order, and passes the read on. So the
 * caller adds its handlers with {@code addLast}, then starts reading, and sees the stream from
 * its first byte; auto-read stays off until then. If the channel closes before anyone read, what
 * was held is released.
 *
 * <p><b>Failure.</b> The future fails with a {@link SocksException} (a subclass says which
 * failure), with an {@link java.net.UnknownHostException} when a name to be resolved here does
 * not resolve (or, for SOCKS4, has no IPv4 address), or with an {@link IllegalArgumentException}
 * when a hop cannot express where it is asked to go (an IPv6 address over SOCKS4). Every handler
 * it added is removed and the channel is closed. Cancelling the future has the same effect.
 *
 * <p><b>Threads.</b> Everything runs on the channel's event loop, and nothing blocks: names are
 * resolved with the given {@link NameResolver} on that loop. The future completes on that loop.
 */
public final class SocksClientHandshake {
    /** The name of the decoder for the awaited reply, present during the handshake. */
    public static final String DECODER_NAME = "socksClientDecoder";
    /** The name of the handshake handler, present during the handshake. */
    public static final String HANDSHAKE_NAME = "socksClientHandshake";
    /** The name of the hold left after success; it removes itself at the first read. */
    public static final String HOLD_NAME = "socksClientHold";

    private SocksClientHandshake() {
    }

    /**
     * On {@code channel}, connected to {@code hops.get(0)}, asks each hop in turn to CONNECT to the
     * next hop and the last one to CONNECT to {@code target}.
     *
     * <p>A hop whose protocol does not resolve at the proxy (socks4, socks5) gets an address: a
     * name is resolved here with {@code resolver}, and the first address the hop can carry is
     * sent (for SOCKS4 the first IPv4 one). SOCKS4a and SOCKS5h hops get names as they are.
     *
     * @param channel a connected channel; its pipeline may hold the caller's handlers
     * @param hops the proxies, nearest first; at least one
     * @param target where the last hop connects to
     * @param resolver for names resolved here; may be null when no hop needs one
     * @param handshakeTimeout for all hops together, up to the last reply; zero for none
     * @param observer told each step; may be null
     * @return the last hop's reply (its bound address), completing on the channel's event loop
     */
    public static Future<SocksReply> connect(Channel channel, List<ProxyUri> hops, SocksTarget target,
            NameResolver resolver, Duration handshakeTimeout, HandshakeObserver observer) {
        Promise<SocksReply> reply = channel.eventLoop().newPromise();
        start(channel, hops, ClientCommand.CONNECT, target, resolver, handshakeTimeout, observer, reply, null);
        return reply;
    }

    /**
     * On {@code channel}, connected to {@code hops.get(0)}, asks each hop but the last to CONNECT to
     * the next, and the last one (SOCKS5 only) for a UDP association whose datagrams will come from
     * {@code from} (0.0.0.0:0 when not known). The reply's bound address is the last hop's UDP
     * relay. The association lasts as long as {@code channel} stays open.
     *
     * @return the last hop's reply, completing on the channel's event loop
     */
    public static Future<SocksReply> udpAssociate(Channel channel, List<ProxyUri> hops, SocksTarget from,
            NameResolver resolver, Duration handshakeTimeout, HandshakeObserver observer) {
        Promise<SocksReply> reply = channel.eventLoop().newPromise();
        start(channel, hops, ClientCommand.UDP_ASSOCIATE, from, resolver, handshakeTimeout, observer, reply, null);
        return reply;
    }

    /**
     * Starts a handshake for {@code command}. {@code firstReply} gets the only reply, or BIND's first;
     * {@code secondReply} (BIND only) the second. Both complete on the channel's event loop.
     */
    static void start(Channel channel, List<ProxyUri> hops, ClientCommand command, SocksTarget target,
            NameResolver resolver, Duration handshakeTimeout, HandshakeObserver observer,
            Promise<SocksReply> firstReply, Promise<SocksReply> secondReply) {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(hops, "hops");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        List<ProxyUri> chain = List.copyOf(hops);
        IllegalArgumentException invalid = checkChain(chain, command, target);
        if (invalid != null) {
            fail(invalid, firstReply, secondReply);
            return;
        }
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(() -> begin(channel, chain, command, target, resolver, handshakeTimeout,
                    observer, firstReply, secondReply));
        } else {
            begin(channel, chain, command, target, resolver, handshakeTimeout, observer, firstReply, secondReply);
        }
    }

    private static void begin(Channel channel, List<ProxyUri> hops, ClientCommand command, SocksTarget target,
            NameResolver resolver, Duration handshakeTimeout, HandshakeObserver observer,
            Promise<SocksReply> firstReply, Promise<SocksReply> secondReply) {
        if (firstReply.isDone()) {
            return; // cancelled before it began
        }
        if (!channel.isActive()) {
            fail(new SocksException("the channel is not connected to " + hops.get(0)), firstReply, secondReply);
            return;
        }
        if (channel.pipeline().context(HANDSHAKE_NAME) != null || channel.pipeline().context(DECODER_NAME) != null) {
            fail(new IllegalStateException("a SOCKS client handshake is already running on " + channel), firstReply,
                    secondReply);
            return;
        }
        if (channel.pipeline().get(HOLD_NAME) instanceof TunnelStartHold) {
            // Left by an earlier handshake on this channel (the caller chains by hand): an empty
            // hold can go; bytes in it came from a peer nobody has spoken to yet.
            if (!((TunnelStartHold) channel.pipeline().get(HOLD_NAME)).isEmpty()) {
                fail(new IllegalStateException("the channel holds bytes received after an earlier handshake; "
                        + "read them before starting another"), firstReply, secondReply);
                return;
            }
            channel.pipeline().remove(HOLD_NAME);
        }
        channel.config().setAutoRead(false);
        ClientHandshakeHandler handler = new ClientHandshakeHandler(hops, command, target, resolver, handshakeTimeout,
                observer, firstReply, secondReply);
        channel.pipeline().addFirst(HANDSHAKE_NAME, handler);
        handler.begin();
    }

    private static void fail(Throwable cause, Promise<SocksReply> firstReply, Promise<SocksReply> secondReply) {
        firstReply.tryFailure(cause);
        if (secondReply != null) {
            secondReply.tryFailure(cause);
        }
    }

    /**
     * Checks that every hop can express where it is asked to go, and that the last can run the
     * command: SOCKS4 and SOCKS4a carry no IPv6 address, UDP ASSOCIATE needs SOCKS5.
     *
     * @return the problem, or {@code null} when there is none
     */
    static IllegalArgumentException checkChain(List<ProxyUri> hops, ClientCommand command, SocksTarget target) {
        if (hops.isEmpty()) {
            return new IllegalArgumentException("no proxy to go through");
        }
        for (int i = 0; i < hops.size(); i++) {
            ProxyUri hop = Objects.requireNonNull(hops.get(i), "hops[" + i + "]");
            boolean last = i == hops.size() - 1;
            SocksTarget next = last ? target : hops.get(i + 1).target();
            if (!hop.protocol().carriesIpv6() && next.isIpv6Literal()) {
                return new IllegalArgumentException(hop + " cannot carry the IPv6 address of " + next
                        + " (SOCKS4 and SOCKS4a carry only IPv4 addresses and names; use socks5)");
            }
            if (last && command == ClientCommand.UDP_ASSOCIATE && !hop.protocol().carriesIpv6()) {
                return new IllegalArgumentException("UDP ASSOCIATE needs SOCKS5, and " + hop + " is "
                        + hop.protocol().scheme());
            }
        }
        return null;
    }
}
