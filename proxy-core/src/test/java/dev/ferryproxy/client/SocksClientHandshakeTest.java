package dev.ferryproxy.client;

import static dev.ferryproxy.codec.CodecTestSupport.bytes;
import static dev.ferryproxy.codec.CodecTestSupport.concat;
import static dev.ferryproxy.codec.CodecTestSupport.hex;
import static dev.ferryproxy.codec.CodecTestSupport.latin1;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.codec.CodecTestSupport;
import dev.ferryproxy.resolve.NameResolver;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@link SocksClientHandshake} on an {@link EmbeddedChannel}, with the proxy's side scripted
 * byte by byte: the exact requests, replies split over reads, chains that switch protocol, names
 * resolved here, every failure mapped to its exception with the pipeline cleaned and the channel
 * closed, the timeout, and the hold that keeps what arrives behind the last reply.
 */
class SocksClientHandshakeTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final byte[] REPLY5_IPV4 = bytes(5, 0, 0, 1, 10, 0, 0, 7, 0x1F, 0x90);

    private EmbeddedChannel channel;

    @AfterEach
    void close() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private EmbeddedChannel channel() {
        channel = new EmbeddedChannel();
        return channel;
    }

    private static List<ProxyUri> hops(String... uris) {
        List<ProxyUri> hops = new ArrayList<>();
        for (String uri : uris) {
            hops.add(ProxyUri.parse(uri));
        }
        return hops;
    }

    /** Everything the client has written so far. */
    private byte[] written() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object msg; (msg = channel.readOutbound()) != null; ) {
            ByteBuf buf = (ByteBuf) msg;
            out.writeBytes(ByteBufUtil.getBytes(buf));
            buf.release();
        }
        return out.toByteArray();
    }

    /** The proxy's bytes, one read per chunk. */
    private void proxySends(byte[]... chunks) {
        for (byte[] chunk : chunks) {
            channel.writeInbound(CodecTestSupport.buffer(chunk));
        }
    }

    private void proxySendsOneBytePerRead(byte[] bytes) {
        for (byte b : bytes) {
            proxySends(new byte[] {b});
        }
    }

    private void assertCleanedUpAndClosed() {
        assertThat(channel.pipeline().get(SocksClientHandshake.DECODER_NAME)).isNull();
        assertThat(channel.pipeline().get(SocksClientHandshake.HANDSHAKE_NAME)).isNull();
        assertThat(channel.pipeline().get(SocksClientHandshake.HOLD_NAME)).isNull();
        assertThat(channel.isOpen()).isFalse();
    }

    private static Throwable failure(Future<?> future) {
        assertThat(future.isDone()).as("done").isTrue();
        assertThat(future.isSuccess()).as("failed").isFalse();
        return future.cause();
    }

    // ---- requests and replies ----------------------------------------------------------------------

    @Test
    void socks5hSendsTheNameAndLeavesOnlyTheHoldWhichReplaysBytesBehindTheReply() {
        channel();
        Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops("socks5h://proxy.test:1080"),
                SocksTarget.of("example.com", 443), null, TIMEOUT, null);
        assertThat(channel.config().isAutoRead()).isFalse();
        assertThat(written()).isEqualTo(bytes(5, 1, 0));
        proxySends(bytes(5, 0));
        assertThat(written()).isEqualTo(concat(bytes(5, 1, 0, 3, 11), latin1("example.com"), bytes(1, 0xBB)));
        assertThat(reply.isDone()).isFalse();

        // The reply and the target's first bytes in one read, then more before anyone reads.
        proxySends(concat(REPLY5_IPV4, latin1("hello ")), latin1("world"));
        assertThat(reply.isSuccess()).isTrue();
        assertThat(reply.getNow()).isEqualTo(new SocksReply(SocksProtocol.SOCKS5H, 0, "succeeded",
                new InetSocketAddress(dev.ferryproxy.testing.Loopback.ipv4(10, 0, 0, 7), 8080)));
        assertThat(channel.pipeline().names()).containsExactly(SocksClientHandshake.HOLD_NAME,
                "DefaultChannelPipeline$TailContext#0");
        assertThat(channel.config().isAutoRead()).as("left off for the caller").isFalse();

        Capture capture = new Capture();
        channel.pipeline().addLast(capture);
        channel.config().setAutoRead(true);
        channel.runPendingTasks();
        assertThat(capture.text()).isEqualTo("hello world");
        assertThat(channel.pipeline().get(SocksClientHandshake.HOLD_NAME)).isNull();
        proxySends(latin1("!"));
        assertThat(capture.text()).isEqualTo("hello world!");
    }

    @Test
    void repliesSplitOneBytePerReadWithPasswordLoginAndAnIpv6BoundAddress() {
        channel();
        Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops("socks5://al%69ce:s%3Acret@proxy:1080"),
                SocksTarget.of("192.0.2.1", 80), null, TIMEOUT, null);
        assertThat(written()).as("offers no-auth and password").isEqualTo(bytes(5, 2, 0, 2));
        proxySendsOneBytePerRead(bytes(5, 2));
        assertThat(written()).isEqualTo(concat(bytes(1, 5), latin1("alice"), bytes(6), latin1("s:cret")));
        proxySendsOneBytePerRead(bytes(1, 0));
        assertThat(written()).isEqualTo(bytes(5, 1, 0, 1, 192, 0, 2, 1, 0, 80));
        byte[] ipv6Reply = concat(bytes(5, 0, 0, 4), new byte[15], bytes(1, 0xFF, 0xFF));
        proxySendsOneBytePerRead(ipv6Reply);
        assertThat(reply.getNow().bound()).isEqualTo(new InetSocketAddress(dev.ferryproxy.testing.Loopback.IPV6, 65535));
        assertThat(reply.getNow().protocol()).isEqualTo(SocksProtocol.SOCKS5);
    }

    @Test
    void socks4aSendsTheNameAfterAnEmptyUserIdAndSocks4AnAddress() {
        channel();
        Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops("socks4a://proxy"),
                SocksTarget.of("example.org", 8080), null, TIMEOUT, null);
        assertThat(written()).isEqualTo(concat(bytes(4, 1, 0x1F, 0x90, 0, 0, 0, 1, 0), latin1("example.org"), bytes(0)));
        proxySends(bytes(0, 90, 0, 0, 0, 0, 0, 0));
        assertThat(reply.getNow()).isEqualTo(new SocksReply(SocksProtocol.SOCKS4A, 90, "request granted",
                new InetSocketAddress(dev.ferryproxy.testing.Loopback.ipv4(0, 0, 0, 0), 0)));

        channel.finishAndReleaseAll();
        channel();
        SocksClientHandshake.connect(channel, hops("socks4a://proxy"), SocksTarget.of("198.51.100.9", 21), null,
                TIMEOUT, null);
        assertThat(written()).as("an address goes as plain SOCKS4").isEqualTo(bytes(4, 1, 0, 21, 198, 51, 100, 9, 0));
    }

    @Test
    void chainAsksEachHopToConnectToTheNextSwitchingProtocols() {
        channel();
        List<String> steps = new ArrayList<>();
        HandshakeObserver observer = new HandshakeObserver() {
            @Override
            public void hopStarted(int hop, ProxyUri proxy, long nanoTime) {
                steps.add("hop " + hop + " " + proxy.protocol().scheme());
            }

            @Override
            public void requestSent(String command, SocksTarget target, long nanoTime) {
                steps.add(command + " " + target);
            }

            @Override
            public void replyReceived(SocksReply reply, long nanoTime) {
                steps.add("reply " + reply.replyCode());
            }
        };
        // A SOCKS4a hop cannot be asked to reach an IPv6 address: refused before anything is sent.
        Future<SocksReply> reply = SocksClientHandshake.connect(channel,
                hops("socks5h://a.test:1080", "socks4a://b.test:1081", "socks5://[2001:db8::5]:1082"),
                SocksTarget.of("198.51.100.20", 443), null, TIMEOUT, observer);
        assertThat(failure(reply)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2001:db8::5]");
        assertThat(written()).isEmpty();
        assertThat(steps).isEmpty();

        channel.finishAndReleaseAll();
        channel();
        steps.clear();
        reply = SocksClientHandshake.connect(channel,
                hops("socks5h://a.test:1080", "socks4a://b.test:1081", "socks5://c.test:1082"),
                SocksTarget.of("198.51.100.20", 443), null, TIMEOUT, observer);
        assertThat(written()).isEqualTo(bytes(5, 1, 0));
        proxySends(bytes(5, 0));
        assertThat(written()).isEqualTo(concat(bytes(5, 1, 0, 3, 6), latin1("b.test"), bytes(0x04, 0x39)));
        proxySends(REPLY5_IPV4);
        assertThat(written()).as("hop 1 asked by SOCKS4a to reach c.test").isEqualTo(
                concat(bytes(4, 1, 0x04, 0x3A, 0, 0, 0, 1, 0), latin1("c.test"), bytes(0)));
        proxySends(bytes(0, 90, 0, 0, 0, 0, 0, 0));
        assertThat(written()).as("hop 2 greeting").isEqualTo(bytes(5, 1, 0));
        proxySends(bytes(5, 0));
        assertThat(written()).isEqualTo(bytes(5, 1, 0, 1, 198, 51, 100, 20, 0x01, 0xBB));
        proxySends(REPLY5_IPV4);
        assertThat(reply.isSuccess()).isTrue();
        assertThat(reply.getNow().protocol()).isEqualTo(SocksProtocol.SOCKS5);
        assertThat(steps).containsExactly("hop 0 socks5h", "CONNECT b.test:1081", "reply 0",
                "hop 1 socks4a", "CONNECT c.test:1082", "reply 90",
                "hop 2 socks5", "CONNECT 198.51.100.20:443", "reply 0");
    }

    @Test
    void namesAreResolvedHereForSocks5AndSocks4TakingTheFirstAddressEachCanCarry() {
        Map<String, List<InetAddress>> names = Map.of("dual.test",
                List.of(dev.ferryproxy.testing.Loopback.IPV6, dev.ferryproxy.testing.Loopback.ipv4(192, 0, 2, 44)));
        NameResolver resolver = new NameResolver() {
            @Override
            public Future<List<InetAddress>> resolveAll(String host, EventLoop loop) {
                List<InetAddress> found = names.get(host);
                return found == null ? loop.newFailedFuture(new UnknownHostException(host))
                        : loop.newSucceededFuture(found);
            }

            @Override
            public void close() {
            }
        };
        channel();
        SocksClientHandshake.connect(channel, hops("socks5://p"), SocksTarget.of("dual.test", 80), resolver, TIMEOUT,
                null);
        proxySends(bytes(5, 0));
        assertThat(written()).isEqualTo(concat(bytes(5, 1, 0), bytes(5, 1, 0, 4), new byte[15], bytes(1, 0, 80)));

        channel.finishAndReleaseAll();
        channel();
        SocksClientHandshake.connect(channel, hops("socks4://p"), SocksTarget.of("dual.test", 80), resolver, TIMEOUT,
                null);
        assertThat(written()).isEqualTo(bytes(4, 1, 0, 80, 192, 0, 2, 44, 0));

        channel.finishAndReleaseAll();
        channel();
        Future<SocksReply> unknown = SocksClientHandshake.connect(channel, hops("socks5://p"),
                SocksTarget.of("nowhere.test", 80), resolver, TIMEOUT, null);
        assertThat(failure(unknown)).isInstanceOf(UnknownHostException.class);
        assertThat(written()).as("nothing sent for a name that does not resolve").isEmpty();
        assertCleanedUpAndClosed();
    }

    // ---- failures ----------------------------------------------------------------------------------

    @Test
    void aNameToResolveHereWithoutAResolverFailsBeforeAnythingIsSent() {
        channel();
        Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops("socks5://p"), SocksTarget.of("h", 1),
                null, TIMEOUT, null);
        assertThat(failure(reply)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no resolver");
        assertThat(written()).isEmpty();
        assertCleanedUpAndClosed();
    }

    @Test
    void noAcceptableMethod() {
        channel();
        Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops("socks5h://p"), SocksTarget.of("h", 1),
                null, TIMEOUT, null);
        proxySends(bytes(5, 0xFF, 0xEE, 0xEE));
        assertThat(failure(reply)).isInstanceOf(NoAcceptableMethodException.class);
        assertCleanedUpAndClosed();
    }

    @Test
    void methodThatWasNotOfferedIsMalformed() {
        channel();
        Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops("socks5h://p"), SocksTarget.of("h", 1),
                null, TIMEOUT, null);
        proxySends(bytes(5, 2));
        assertThat(failure(reply)).isInstanceOf(MalformedReplyException.class).hasMessageContaining("not offered");
        assertCleanedUpAndClosed();
    }

    @Test
    void refusedLoginCarriesItsStatus() {
        channel();
        Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops("socks5h://u:pw@p"),
                SocksTarget.of("h", 1), null, TIMEOUT, null);
        proxySends(bytes(5, 2), bytes(1, 2));
        Throwable failure = failure(reply);
        assertThat(failure).isInstanceOf(SocksAuthenticationException.class).hasMessageContaining("0x02")
                .hasMessageNotContaining("pw@");
        assertThat(((SocksAuthenticationException) failure).status()).isEqualTo(2);
        assertCleanedUpAndClosed();
    }

    @Test
    void everySocks5FailureCodeIsMappedWithTheRfcWording() {
        String[] meanings = {"general SOCKS server failure", "connection not allowed by ruleset", "network unreachable",
            "host unreachable", "connection refused", "TTL expired", "command not supported",
            "address type not supported"};
        for (int code = 1; code <= 8; code++) {
            channel();
            Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops("socks5h://p"),
                    SocksTarget.of("h", 1), null, TIMEOUT, null);
            // the reply and bytes behind it: released with the decoder
            proxySends(bytes(5, 0), concat(bytes(5, code, 0, 1, 0, 0, 0, 0, 0, 0), latin1("junk")));
            SocksReplyException failure = (SocksReplyException) failure(reply);
            assertThat(failure.replyCode()).isEqualTo(code);
            assertThat(failure.meaning()).isEqualTo(meanings[code - 1]);
            assertThat(failure.protocol()).isEqualTo(SocksProtocol.SOCKS5H);
            assertThat(failure).hasMessageContaining(String.format("0x%02x", code)).hasMessageContaining(meanings[code - 1]);
            assertCleanedUpAndClosed();
            channel.finishAndReleaseAll();
        }
        channel = null;
    }

    @Test
    void everySocks4FailureCodeIsMapped() {
        for (int code = 91; code <= 93; code++) {
            channel();
            Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops("socks4://p"),
                    SocksTarget.of("10.0.0.1", 1), null, TIMEOUT, null);
            proxySends(bytes(0, code, 0, 0, 0, 0, 0, 0));
            SocksReplyException failure = (SocksReplyException) failure(reply);
            assertThat(failure.replyCode()).isEqualTo(code);
            assertThat(failure.meaning()).isEqualTo(SocksReply.socks4Meaning(code)).startsWith("request rejected");
            assertCleanedUpAndClosed();
            channel.finishAndReleaseAll();
        }
        channel = null;
    }

    @Test
    void malformedRepliesAreMalformedReplyExceptions() {
        List<byte[]> socks5Replies = List.of(bytes(4, 0, 0, 1, 0, 0, 0, 0, 0, 0), bytes(5, 0, 0, 9),
                bytes(5, 0, 0, 3, 0, 0, 0));
        for (byte[] bad : socks5Replies) {
            channel();
            Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops("socks5h://p"),
                    SocksTarget.of("h", 1), null, TIMEOUT, null);
            proxySends(bytes(5, 0), bad);
            assertThat(failure(reply)).as(hex(bad)).isInstanceOf(MalformedReplyException.class);
            assertCleanedUpAndClosed();
            channel.finishAndReleaseAll();
        }
        channel();
        Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops("socks4://p"),
                SocksTarget.of("10.0.0.1", 1), null, TIMEOUT, null);
        proxySends(bytes(4, 90, 0, 0, 0, 0, 0, 0));
        assertThat(failure(reply)).isInstanceOf(MalformedReplyException.class).hasMessageContaining("version");
        assertCleanedUpAndClosed();
    }

    @Test
    void endOfInputBeforeTheReplyFails() {
        channel();
        Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops("socks5h://p"), SocksTarget.of("h", 1),
                null, TIMEOUT, null);
        proxySends(bytes(5, 0), bytes(5, 0, 0));
        channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertThat(failure(reply)).isExactlyInstanceOf(SocksException.class).hasMessageContaining("closed")
                .hasMessageContaining("reply to CONNECT h:1");
        assertCleanedUpAndClosed();
    }

    @Test
    void timeoutFailsAndClosesTheChannel() {
        channel = EmbeddedChannel.builder().build();
        channel.freezeTime();
        Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops("socks5h://p"), SocksTarget.of("h", 1),
                null, Duration.ofMillis(300), null);
        proxySends(bytes(5, 0));
        channel.advanceTimeBy(299, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(reply.isDone()).isFalse();
        channel.advanceTimeBy(2, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        Throwable failure = failure(reply);
        assertThat(failure).isInstanceOf(SocksHandshakeTimeoutException.class).hasMessageContaining("300 ms")
                .hasMessageContaining("reply to CONNECT");
        assertThat(((SocksHandshakeTimeoutException) failure).timeout()).isEqualTo(Duration.ofMillis(300));
        assertCleanedUpAndClosed();
    }

    @Test
    void cancellingTheFutureClosesTheChannel() {
        channel();
        Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops("socks5h://p"), SocksTarget.of("h", 1),
                null, TIMEOUT, null);
        assertThat(reply.cancel(false)).isTrue();
        channel.runPendingTasks();
        assertCleanedUpAndClosed();
    }

    @Test
    void ipv6OverSocks4IsRefusedBeforeAnythingIsSent() {
        channel();
        Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops("socks4a://p"), SocksTarget.of("::1", 1),
                null, TIMEOUT, null);
        assertThat(failure(reply)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("IPv6");
        assertThat(written()).isEmpty();
        assertThat(channel.isOpen()).as("nothing was started on it").isTrue();
    }

    // ---- the hold and BIND -------------------------------------------------------------------------

    @Test
    void holdKeepsBytesEndOfInputAndCloseInOrderUntilTheFirstRead() {
        channel();
        Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops("socks4://p"),
                SocksTarget.of("10.0.0.1", 1), null, TIMEOUT, null);
        proxySends(concat(bytes(0, 90, 0, 0, 0, 0, 0, 0), latin1("abc")));
        assertThat(reply.isSuccess()).isTrue();
        proxySends(latin1("def"));
        channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        Capture capture = new Capture();
        channel.pipeline().addLast(capture);
        assertThat(capture.events).as("nothing before the first read").isEmpty();
        channel.read();
        channel.runPendingTasks();
        assertThat(capture.events).containsExactly("read abc", "read def", "readComplete", "endOfInput");
    }

    @Test
    void holdReleasesWhatItKeptWhenTheChannelClosesUnread() {
        channel();
        Future<SocksReply> reply = SocksClientHandshake.connect(channel, hops("socks4://p"),
                SocksTarget.of("10.0.0.1", 1), null, TIMEOUT, null);
        ByteBuf behind = CodecTestSupport.buffer(concat(bytes(0, 90, 0, 0, 0, 0, 0, 0), latin1("kept")));
        channel.writeInbound(behind);
        assertThat(reply.isSuccess()).isTrue();
        ByteBuf more = CodecTestSupport.buffer(latin1("more"));
        channel.writeInbound(more.retain());
        channel.close();
        channel.runPendingTasks();
        assertThat(more.refCnt()).as("the hold released its reference").isEqualTo(1);
        more.release();
        // the leak detector (PARANOID) checks the slice of the first read
    }

    @Test
    void bindCompletesTheFirstReplyThenTheSecondWithThePipelineCleanOnlyAtTheEnd() {
        channel();
        Promise<SocksReply> first = channel.eventLoop().newPromise();
        Promise<SocksReply> second = channel.eventLoop().newPromise();
        SocksClientHandshake.start(channel, hops("socks5h://p"), ClientCommand.BIND, SocksTarget.of("198.51.100.3", 0),
                null, Duration.ofMillis(200), null, first, second);
        channel.freezeTime();
        proxySends(bytes(5, 0));
        assertThat(written()).isEqualTo(bytes(5, 1, 0, 5, 2, 0, 1, 198, 51, 100, 3, 0, 0));
        proxySends(bytes(5, 0, 0, 1, 203, 0, 113, 1, 0x30, 0x39));
        assertThat(first.getNow().bound().getPort()).isEqualTo(12345);
        assertThat(second.isDone()).isFalse();
        assertThat(channel.pipeline().get(SocksClientHandshake.HANDSHAKE_NAME)).isNotNull();
        channel.advanceTimeBy(1, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(second.isDone()).as("no timeout while waiting for the peer").isFalse();
        proxySends(concat(bytes(5, 0, 0, 1, 198, 51, 100, 3, 0xC0, 0x01), latin1("peer says hi")));
        assertThat(second.getNow().bound()).isEqualTo(new InetSocketAddress(
                dev.ferryproxy.testing.Loopback.ipv4(198, 51, 100, 3), 0xC001));
        assertThat(channel.pipeline().get(SocksClientHandshake.HANDSHAKE_NAME)).isNull();
        Capture capture = new Capture();
        channel.pipeline().addLast(capture);
        channel.config().setAutoRead(true);
        channel.runPendingTasks();
        assertThat(capture.text()).isEqualTo("peer says hi");
    }

    @Test
    void bindRepliesArrivingInOneReadCompleteInOrder() {
        channel();
        Promise<SocksReply> first = channel.eventLoop().newPromise();
        Promise<SocksReply> second = channel.eventLoop().newPromise();
        List<String> order = new ArrayList<>();
        first.addListener(f -> order.add("first"));
        second.addListener(f -> order.add("second"));
        SocksClientHandshake.start(channel, hops("socks4://p"), ClientCommand.BIND, SocksTarget.of("10.0.0.2", 0),
                null, TIMEOUT, null, first, second);
        proxySends(concat(bytes(0, 90, 0x10, 0, 0, 0, 0, 0), bytes(0, 90, 0x20, 0, 10, 0, 0, 2), latin1("x")));
        assertThat(order).containsExactly("first", "second");
        assertThat(first.getNow().bound().getPort()).isEqualTo(0x1000);
        assertThat(second.getNow().bound()).isEqualTo(new InetSocketAddress(
                dev.ferryproxy.testing.Loopback.ipv4(10, 0, 0, 2), 0x2000));
        Capture capture = new Capture();
        channel.pipeline().addLast(capture);
        channel.read();
        channel.runPendingTasks();
        assertThat(capture.text()).isEqualTo("x");
    }

    @Test
    void aSecondHandshakeOnTheSameChannelChainsByHand() {
        channel();
        Future<SocksReply> first = SocksClientHandshake.connect(channel, hops("socks5h://a"), SocksTarget.of("b", 1080),
                null, TIMEOUT, null);
        proxySends(bytes(5, 0), REPLY5_IPV4);
        assertThat(first.isSuccess()).isTrue();
        written();
        Future<SocksReply> second = SocksClientHandshake.connect(channel, hops("socks4a://b:1080"),
                SocksTarget.of("c.test", 80), null, TIMEOUT, null);
        assertThat(written()).isEqualTo(concat(bytes(4, 1, 0, 80, 0, 0, 0, 1, 0), latin1("c.test"), bytes(0)));
        proxySends(concat(bytes(0, 90, 0, 0, 0, 0, 0, 0), latin1("data")));
        assertThat(second.isSuccess()).isTrue();
        assertThat(channel.pipeline().names()).containsOnlyOnce(SocksClientHandshake.HOLD_NAME);

        // A hold that already has bytes cannot be taken over by another handshake.
        Future<SocksReply> third = SocksClientHandshake.connect(channel, hops("socks4a://c.test:80"),
                SocksTarget.of("d.test", 80), null, TIMEOUT, null);
        assertThat(failure(third)).isInstanceOf(IllegalStateException.class).hasMessageContaining("holds bytes");
        Capture capture = new Capture();
        channel.pipeline().addLast(capture);
        channel.read();
        channel.runPendingTasks();
        assertThat(capture.text()).isEqualTo("data");
    }

    /** Records what reaches the end of the pipeline. */
    private static final class Capture extends ChannelInboundHandlerAdapter {
        final List<String> events = new ArrayList<>();
        private final StringBuilder text = new StringBuilder();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                String s = buf.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
                text.append(s);
                events.add("read " + s);
            } finally {
                buf.release();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            events.add("readComplete");
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                events.add("endOfInput");
            }
        }

        String text() {
            return text.toString();
        }
    }
}
