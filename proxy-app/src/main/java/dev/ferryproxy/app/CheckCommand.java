package dev.ferryproxy.app;

import ch.qos.logback.classic.Level;
import dev.ferryproxy.client.HandshakeObserver;
import dev.ferryproxy.client.ProxyUri;
import dev.ferryproxy.client.SocksClientHandshake;
import dev.ferryproxy.client.SocksReply;
import dev.ferryproxy.client.SocksTarget;
import dev.ferryproxy.resolve.DnsResolver;
import dev.ferryproxy.transport.Transport;
import dev.ferryproxy.transport.TransportKind;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * {@code ferry check --proxy URI --target HOST:PORT}: one tunnel opened step by step, each step
 * printed with its time, for people debugging a proxy: the TCP connection, the greeting and the
 * method the proxy chose, the login, the request, the reply code and its meaning, and whether
 * data flows through the tunnel.
 *
 * <p>The handshake runs on one event loop; the observer only queues what happened, and this
 * thread prints it, so no event loop ever waits on standard output.
 */
@Command(name = "check",
        mixinStandardHelpOptions = true,
        versionProvider = FerryVersion.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Opens one tunnel through the proxy to the target and prints each step with its time: the TCP"
                    + " connection, the methods offered and the one chosen, the login, the request, the reply code"
                    + " and its meaning, and whether data flows (with --send, what the target answers; without,"
                    + " whether it speaks first).",
            "Exit codes: 0 the tunnel opened (OK); 1 a step failed (FAILED, with the reply code and its meaning);"
                    + " 2 invalid options."
        })
final class CheckCommand implements Callable<Integer> {
    /** At most this much of the target's answer is read. */
    static final int MAX_ANSWER_BYTES = 64 * 1024;
    /** At most this many bytes of the answer are shown. */
    static final int SHOWN_BYTES = 120;
    /** Once the answer has begun, it is taken as complete after this long without more bytes. */
    private static final Duration QUIET = Duration.ofMillis(200);
    private static final Duration DNS_QUERY_TIMEOUT = Duration.ofSeconds(5);

    @Spec
    private CommandSpec spec;

    @Mixin
    private ClientOptions client;

    @Option(names = "--target", required = true, paramLabel = "HOST:PORT", converter = ClientOptions.TargetConverter.class,
            description = "Where the (last) proxy is asked to connect. IPv6 as [::1]:443.")
    private SocksTarget target;

    @Option(names = "--send", paramLabel = "TEXT", converter = SendTextConverter.class,
            description = "Bytes to send once the tunnel is up, with the escapes \\r \\n \\t \\0 \\\\ and \\xHH,"
                    + " e.g. 'HEAD / HTTP/1.0\\r\\n\\r\\n'. Without it, check waits for the target to speak first"
                    + " (as SSH and SMTP servers do).")
    private Payload send;

    @Option(names = "--wait", paramLabel = "DURATION", converter = FerryCommand.DurationConverter.class,
            description = "Most time to wait for the target's first bytes (default: 2s).")
    private Duration wait = Duration.ofSeconds(2);

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "warn",
            converter = FerryCommand.LogLevelConverter.class,
            description = "error, warn, info, debug or trace (default: ${DEFAULT-VALUE}); logs go to standard error.")
    private Level logLevel;

    /** Queued after the last step of the handshake. */
    private static final Step END = new Step(0, "end");

    private final BlockingQueue<Step> steps = new LinkedBlockingQueue<>();
    private PrintWriter out;
    private long start;

    /** One line of the report, made on an event loop and printed here. */
    private record Step(long nanoTime, String text) {
    }

    @Override
    public Integer call() throws InterruptedException {
        ClientOptions.configureLogging(logLevel);
        String chainProblem = client.chainProblem(target);
        if (chainProblem != null) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("ferry check: " + chainProblem);
            err.flush();
            return 2;
        }
        out = spec.commandLine().getOut();
        List<ProxyUri> hops = client.proxies;
        for (int i = 0; i < hops.size(); i++) {
            out.println("proxy   " + hops.get(i) + (hops.size() > 1 ? "   (hop " + (i + 1) + " of " + hops.size() + ")" : ""));
        }
        out.println("target  " + target);
        out.flush();
        Transport transport = Transport.select(TransportKind.AUTO);
        EventLoopGroup group = transport.newEventLoopGroup(1);
        DnsResolver resolver = new DnsResolver(transport.datagramChannelType(), transport.socketChannelType(),
                client.dnsServers, DNS_QUERY_TIMEOUT);
        try {
            int exitCode = run(transport, group.next(), resolver, hops);
            out.println(exitCode == 0 ? "OK" : "FAILED");
            out.flush();
            return exitCode;
        } finally {
            resolver.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Runs the steps; returns the exit code. */
    private int run(Transport transport, EventLoop loop, DnsResolver resolver, List<ProxyUri> hops)
            throws InterruptedException {
        warmUp(transport, loop);
        start = System.nanoTime();
        ProxyUri first = hops.get(0);
        InetSocketAddress proxyAddress = resolveProxy(first, loop, resolver);
        if (proxyAddress == null) {
            return 1;
        }
        Channel channel = connect(transport, loop, proxyAddress);
        if (channel == null) {
            return 1;
        }
        try {
            Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops, target, resolver,
                    client.handshakeTimeout, new Observer(hops.size()));
            printStepsUntil(reply);
            if (!reply.isSuccess()) {
                fail(reply.cause());
                // a hop that cannot carry where it is sent (IPv6 over SOCKS4) is a usage error: nothing was sent
                return reply.cause() instanceof IllegalArgumentException ? 2 : 1;
            }
            return checkData(channel) ? 0 : 1;
        } finally {
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /**
     * Runs the code of the steps once without a network, so that the times printed measure the
     * proxy and the network rather than a fresh JVM loading classes: a channel registered and
     * closed, and SOCKS5 (with a login) and SOCKS4 handshakes against scripted replies.
     */
    private void warmUp(Transport transport, EventLoop loop) throws InterruptedException {
        Channel unconnected = new Bootstrap().group(loop).channel(transport.socketChannelType())
                .handler(new ChannelInboundHandlerAdapter()).register().await().channel();
        unconnected.writeAndFlush(Unpooled.wrappedBuffer(new byte[1])).await(); // fails: not connected
        unconnected.close().await();
        SocksTarget somewhere = SocksTarget.of("warm-up.invalid", 9);
        byte[][] socks5 = {{5, 2}, {1, 0}, {5, 0, 0, 1, 0, 0, 0, 0, 0, 0}};
        byte[][] socks4 = {{0, 90, 0, 0, 0, 0, 0, 0}};
        warmUp(ProxyUri.parse("socks5h://warm:up@192.0.2.1:1080"), somewhere, socks5);
        warmUp(ProxyUri.parse("socks4a://192.0.2.1:1080"), somewhere, socks4);
        format(new Step(System.nanoTime(), Printable.quote(new byte[] {'\r'}, SHOWN_BYTES)));
    }

    private void warmUp(ProxyUri proxy, SocksTarget somewhere, byte[][] replies) {
        EmbeddedChannel channel = new EmbeddedChannel();
        try {
            Future<SocksReply> reply = SocksClientHandshake.connect(channel, List.of(proxy), somewhere, null,
                    client.handshakeTimeout, new HandshakeObserver() {
                        @Override
                        public void replyReceived(SocksReply r, long nanoTime) {
                            replyCode(r);
                        }
                    });
            for (byte[] bytes : replies) {
                channel.writeInbound(Unpooled.wrappedBuffer(bytes));
            }
            if (reply.isSuccess()) {
                Answer answer = new Answer();
                channel.pipeline().addLast("check", answer);
                channel.config().setAutoRead(true);
                channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {'\n'}));
                channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'\n'}));
                answer.result();
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    /** The first proxy's address: its IP literal, or its name resolved (on the event loop, with the resolver). */
    private InetSocketAddress resolveProxy(ProxyUri proxy, EventLoop loop, DnsResolver resolver)
            throws InterruptedException {
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(proxy.host());
        if (literal != null) {
            try {
                return new InetSocketAddress(InetAddress.getByAddress(literal), proxy.port());
            } catch (java.net.UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        Future<List<InetAddress>> resolved;
        try {
            resolved = loop.submit(() -> resolver.resolveAll(proxy.host(), loop)).get().await();
        } catch (ExecutionException e) {
            step("cannot resolve the proxy's host " + proxy.host() + ": " + ClientErrors.describe(e));
            fail(e);
            return null;
        }
        if (!resolved.isSuccess()) {
            step("cannot resolve the proxy's host " + proxy.host() + ": " + ClientErrors.describe(resolved.cause()));
            fail(resolved.cause());
            return null;
        }
        InetAddress address = resolved.getNow().get(0);
        step("resolved the proxy's host " + proxy.host() + " to " + NetUtil.toAddressString(address)
                + (resolved.getNow().size() > 1 ? " (first of " + resolved.getNow().size() + ")" : ""));
        return new InetSocketAddress(address, proxy.port());
    }

    /** The TCP connection to the first proxy, or null (after printing why) when it fails. */
    private Channel connect(Transport transport, EventLoop loop, InetSocketAddress proxyAddress)
            throws InterruptedException {
        ChannelFuture connected = new Bootstrap()
                .group(loop)
                .channel(transport.socketChannelType())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        client.connectTimeout.toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        // the handshake adds its handlers; the data check adds its own
                    }
                })
                .connect(proxyAddress)
                .await();
        String address = NetUtil.toSocketAddressString(proxyAddress);
        if (!connected.isSuccess()) {
            step("TCP connect to " + address + " failed: " + ClientErrors.connectFailure(connected.cause()));
            fail(connected.cause());
            return null;
        }
        InetSocketAddress local = (InetSocketAddress) connected.channel().localAddress();
        step("TCP connected to " + address + " from " + NetUtil.toSocketAddressString(local));
        return connected.channel();
    }

    /** Prints each step as the observer queues it, until {@code done} completes. */
    private void printStepsUntil(Future<?> done) throws InterruptedException {
        // Every step is queued before the future completes, on the same event loop: the end comes last.
        done.addListener(f -> steps.add(END));
        for (Step s; (s = steps.take()) != END; ) {
            print(s);
        }
    }

    /**
     * Reads what the target says (sending {@code --send} first, if given), bounded in time and
     * size, and reports whether data flowed. False only when the tunnel failed.
     */
    private boolean checkData(Channel channel) throws InterruptedException {
        Answer answer = new Answer();
        channel.pipeline().addLast("check", answer);
        channel.config().setAutoRead(true);
        int sent = 0;
        if (send != null && send.bytes().length > 0) {
            byte[] bytes = send.bytes();
            long sentAt = System.nanoTime();
            ChannelFuture written = channel.writeAndFlush(Unpooled.wrappedBuffer(bytes)).await();
            if (!written.isSuccess()) {
                step("sending " + Printable.bytes(bytes.length) + " failed: " + ClientErrors.describe(written.cause()));
                out.println("hint    the proxy or the target closed the tunnel right after the reply");
                return false;
            }
            sent = bytes.length;
            step(sentAt, "sent " + Printable.bytes(sent) + ": " + Printable.quote(bytes, SHOWN_BYTES));
        }
        answer.await(wait, QUIET);
        Answer.Result result = answer.result();
        if (result.failure() != null) {
            step("the tunnel failed: " + ClientErrors.describe(result.failure())
                    + (result.count() > 0 ? " (after " + Printable.bytes(result.count()) + ")" : ""));
            return false;
        }
        if (result.count() > 0) {
            String got = Printable.bytes(result.count())
                    + (result.count() >= MAX_ANSWER_BYTES ? " (or more: reading stopped there)" : "");
            String shown = Printable.quote(result.shown(), SHOWN_BYTES);
            step(result.firstByteNanos(), sent > 0
                    ? "data flows: sent " + Printable.bytes(sent) + ", got " + got + " back: " + shown
                    : "data flows: the target spoke first, " + got + ": " + shown);
            if (result.ended()) {
                step(result.endNanos(), "the tunnel was closed after the answer (by the target or the proxy)");
            }
        } else if (result.ended()) {
            step(result.endNanos(), (sent > 0 ? "sent " + Printable.bytes(sent) + "; " : "")
                    + "the tunnel was closed without data (by the target or the proxy)");
        } else if (sent > 0) {
            step("sent " + Printable.bytes(sent) + "; nothing came back within " + Printable.duration(wait)
                    + " (the target may wait for more)");
        } else {
            step("no data: the target sent nothing within " + Printable.duration(wait)
                    + " (it may wait for the client to speak first; try --send)");
        }
        return true;
    }

    private void fail(Throwable cause) {
        out.println("error   " + ClientErrors.describe(cause));
        String hint = ClientErrors.hint(cause);
        if (hint != null) {
            out.println("hint    " + hint);
        }
        out.flush();
    }

    private void step(String text) {
        step(System.nanoTime(), text);
    }

    private void step(long nanoTime, String text) {
        print(new Step(nanoTime, text));
    }

    private void print(Step s) {
        out.println(format(s));
        out.flush();
    }

    private String format(Step s) {
        return String.format(Locale.ROOT, "%8.1f ms  %s", (s.nanoTime() - start) / 1e6, s.text());
    }

    /** Queues each handshake step; called on the event loop, so it only queues. */
    private final class Observer implements HandshakeObserver {
        private final int hopCount;
        /** The name the current hop's destination was resolved from, and the address chosen. */
        private String resolvedHost;
        private InetAddress resolvedAddress;

        Observer(int hopCount) {
            this.hopCount = hopCount;
        }

        @Override
        public void hopStarted(int hop, ProxyUri proxy, long nanoTime) {
            resolvedHost = null;
            if (hopCount > 1) {
                steps.add(new Step(nanoTime, "hop " + (hop + 1) + " of " + hopCount + ": " + proxy
                        + (hop > 0 ? ", through the tunnel of hop " + hop : "")));
            }
        }

        @Override
        public void resolved(String host, InetAddress address, long nanoTime) {
            resolvedHost = host;
            resolvedAddress = address;
            steps.add(new Step(nanoTime, "resolved " + host + " to " + NetUtil.toAddressString(address)
                    + " here (the scheme sends addresses, not names)"));
        }

        @Override
        public void greetingSent(List<Integer> methods, long nanoTime) {
            steps.add(new Step(nanoTime, "greeting sent, methods: "
                    + methods.stream().map(CheckCommand::methodName).collect(Collectors.joining(", "))));
        }

        @Override
        public void methodSelected(int method, long nanoTime) {
            steps.add(new Step(nanoTime, "method chosen: " + methodName(method)));
        }

        @Override
        public void authenticated(boolean ok, long nanoTime) {
            steps.add(new Step(nanoTime, ok ? "login accepted" : "login refused"));
        }

        @Override
        public void requestSent(String command, SocksTarget requested, long nanoTime) {
            // what went on the wire: the address resolved here, if the name was
            SocksTarget sent = requested.host().equals(resolvedHost)
                    ? SocksTarget.of(NetUtil.toAddressString(resolvedAddress), requested.port()) : requested;
            steps.add(new Step(nanoTime, command + " " + sent + " sent"));
        }

        @Override
        public void replyReceived(SocksReply reply, long nanoTime) {
            steps.add(new Step(nanoTime, "reply " + replyCode(reply) + " " + reply.meaning()
                    + (reply.isSuccess() ? ", bound " + boundAddress(reply.bound()) : "")));
        }
    }

    static String methodName(int method) {
        String name;
        switch (method) {
            case 0x00:
                name = "no authentication";
                break;
            case 0x01:
                name = "GSSAPI";
                break;
            case 0x02:
                name = "username/password";
                break;
            case 0xFF:
                name = "no acceptable methods";
                break;
            default:
                name = method < 0x80 ? "IANA method" : "private method";
                break;
        }
        return String.format("%s (0x%02X)", name, method);
    }

    static String replyCode(SocksReply reply) {
        return reply.protocol().carriesIpv6() ? String.format("0x%02X", reply.replyCode())
                : String.valueOf(reply.replyCode());
    }

    private static String boundAddress(InetSocketAddress bound) {
        return bound.isUnresolved() ? bound.getHostString() + ":" + bound.getPort() : NetUtil.toSocketAddressString(bound);
    }

    /**
     * Collects what comes out of the tunnel, on the event loop: up to {@link #MAX_ANSWER_BYTES}
     * (it stops reading there), the end of input, or the failure.
     */
    private static final class Answer extends ChannelInboundHandlerAdapter {
        private final ByteArrayOutputStream shown = new ByteArrayOutputStream();
        private long count;
        private long firstByteNanos;
        private long lastByteNanos;
        private long endNanos;
        private boolean ended;
        private Throwable failure;

        record Result(long count, byte[] shown, long firstByteNanos, boolean ended, long endNanos, Throwable failure) {
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof ByteBuf) {
                    ByteBuf buf = (ByteBuf) msg;
                    synchronized (this) {
                        int n = buf.readableBytes();
                        if (n > 0) {
                            long now = System.nanoTime();
                            if (count == 0) {
                                firstByteNanos = now;
                            }
                            lastByteNanos = now;
                            int keep = Math.min(n, SHOWN_BYTES + 1 - shown.size());
                            if (keep > 0) {
                                byte[] bytes = new byte[keep];
                                buf.getBytes(buf.readerIndex(), bytes);
                                shown.writeBytes(bytes);
                            }
                            count += n;
                            if (count >= MAX_ANSWER_BYTES) {
                                ctx.channel().config().setAutoRead(false);
                            }
                            notifyAll();
                        }
                    }
                }
            } finally {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                end();
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            end();
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            synchronized (this) {
                if (failure == null && !ended) {
                    failure = cause;
                }
                notifyAll();
            }
            ctx.close();
        }

        private synchronized void end() {
            if (!ended) {
                ended = true;
                endNanos = System.nanoTime();
            }
            notifyAll();
        }

        /**
         * Waits until the tunnel ends or fails, the cap is reached, nothing came within {@code wait},
         * or, once bytes came, none followed for {@code quiet}.
         */
        synchronized void await(Duration wait, Duration quiet) throws InterruptedException {
            long deadline = System.nanoTime() + wait.toNanos();
            while (!ended && failure == null && count < MAX_ANSWER_BYTES) {
                // An answer that has begun is read until it pauses, even past the wait for its first byte.
                long until = count == 0 ? deadline : lastByteNanos + quiet.toNanos();
                long left = until - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }

        synchronized Result result() {
            return new Result(count, shown.toByteArray(), firstByteNanos, ended, endNanos, failure);
        }
    }

    /** The bytes of {@code --send}. */
    record Payload(byte[] bytes) {
    }

    /** Parses {@code --send}: text with \r \n \t \0 \\ and \xHH escapes, as UTF-8. */
    static final class SendTextConverter implements ITypeConverter<Payload> {
        @Override
        public Payload convert(String value) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            StringBuilder plain = new StringBuilder();
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c != '\\') {
                    plain.append(c);
                    continue;
                }
                bytes.writeBytes(plain.toString().getBytes(StandardCharsets.UTF_8));
                plain.setLength(0);
                if (i + 1 >= value.length()) {
                    throw new TypeConversionException("'" + value + "' ends with a lone '\\' (write \\\\ for one)");
                }
                char e = value.charAt(++i);
                switch (e) {
                    case 'r':
                        bytes.write('\r');
                        break;
                    case 'n':
                        bytes.write('\n');
                        break;
                    case 't':
                        bytes.write('\t');
                        break;
                    case '0':
                        bytes.write(0);
                        break;
                    case '\\':
                        bytes.write('\\');
                        break;
                    case 'x':
                        int hi = i + 1 < value.length() ? Character.digit(value.charAt(i + 1), 16) : -1;
                        int lo = i + 2 < value.length() ? Character.digit(value.charAt(i + 2), 16) : -1;
                        if (hi < 0 || lo < 0) {
                            throw new TypeConversionException("'\\x' in '" + value + "' is not followed by two hex digits");
                        }
                        bytes.write(hi << 4 | lo);
                        i += 2;
                        break;
                    default:
                        throw new TypeConversionException("'\\" + e + "' in '" + value
                                + "' is no escape (expected: \\r \\n \\t \\0 \\\\ \\xHH)");
                }
            }
            bytes.writeBytes(plain.toString().getBytes(StandardCharsets.UTF_8));
            return new Payload(bytes.toByteArray());
        }
    }
}
