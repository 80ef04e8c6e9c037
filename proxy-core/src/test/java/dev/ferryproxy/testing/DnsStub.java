package dev.ferryproxy.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import org.awaitility.Awaitility;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * An in-process DNS server on 127.0.0.1 (UDP, ephemeral port) for the proxy under test to ask
 * instead of the machine's name servers. It answers A and AAAA queries for the names it was
 * given, with their addresses in the given order; a known name without an address of the asked
 * family gets an empty answer, any other name NXDOMAIN. Every question is recorded. Answers can
 * be held back ({@link #pauseAnswers()}) to keep the proxy waiting on a name for as long as a
 * test needs.
 */
public final class DnsStub implements AutoCloseable {
    private static final long TTL_SECONDS = 60;

    private final EventLoopGroup group;
    private final Channel channel;
    private final List<String> questions = new CopyOnWriteArrayList<>();
    private final Queue<DatagramDnsResponse> heldAnswers = new ConcurrentLinkedQueue<>();
    private volatile boolean paused;

    private DnsStub(Map<String, List<InetAddress>> records) throws InterruptedException {
        Map<String, List<InetAddress>> byName = new HashMap<>();
        records.forEach((name, addresses) -> byName.put(normalize(name), List.copyOf(addresses)));
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            channel = new Bootstrap()
                    .group(group)
                    .channel(NioDatagramChannel.class)
                    .handler(new ChannelInitializer<NioDatagramChannel>() {
                        @Override
                        protected void initChannel(NioDatagramChannel ch) {
                            ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                    new Responder(byName));
                        }
                    })
                    .bind(new InetSocketAddress(Loopback.IPV4, 0)).sync().channel();
        } catch (InterruptedException | RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** Starts a stub that knows {@code records}: name (without trailing dot, any case) to addresses. */
    public static DnsStub start(Map<String, List<InetAddress>> records) throws InterruptedException {
        return new DnsStub(records);
    }

    /** Where the stub listens: give this to {@code ProxyServerConfig.Builder#dnsServers}. */
    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Every question asked so far, as {@code "TYPE name"} (e.g. {@code "A multi.ferry.test"}), in order. */
    public List<String> questions() {
        return List.copyOf(questions);
    }

    /** Holds every answer from now on until {@link #resumeAnswers()}; questions are still recorded. */
    public void pauseAnswers() {
        paused = true;
    }

    /** Sends the answers held since {@link #pauseAnswers()} and answers at once again. */
    public void resumeAnswers() {
        channel.eventLoop().execute(() -> {
            paused = false;
            for (DatagramDnsResponse answer; (answer = heldAnswers.poll()) != null; ) {
                channel.writeAndFlush(answer);
            }
        });
    }

    /** Waits until a question about {@code name} has been asked. */
    public void awaitQuestion(String name, Duration timeout) {
        Awaitility.await("a DNS question about " + name).atMost(timeout).pollInterval(Duration.ofMillis(5))
                .until(() -> wasAskedAbout(name));
    }

    /** Whether any question about {@code name} (any type) has been asked. */
    public boolean wasAskedAbout(String name) {
        String wanted = normalize(name);
        return questions.stream().anyMatch(q -> q.substring(q.indexOf(' ') + 1).equals(wanted));
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        for (DatagramDnsResponse answer; (answer = heldAnswers.poll()) != null; ) {
            answer.release();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static String normalize(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    private final class Responder extends SimpleChannelInboundHandler<DatagramDnsQuery> {
        private final Map<String, List<InetAddress>> records;

        Responder(Map<String, List<InetAddress>> records) {
            this.records = records;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
            DatagramDnsResponse response = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
            response.setRecursionDesired(query.isRecursionDesired());
            response.setRecursionAvailable(true);
            response.setAuthoritativeAnswer(true);
            DnsQuestion question = query.recordAt(DnsSection.QUESTION);
            if (question == null) {
                response.setCode(DnsResponseCode.FORMERR);
                ctx.writeAndFlush(response);
                return;
            }
            String name = normalize(question.name());
            questions.add(question.type().name() + " " + name);
            response.addRecord(DnsSection.QUESTION, question);
            List<InetAddress> addresses = records.get(name);
            if (addresses == null) {
                response.setCode(DnsResponseCode.NXDOMAIN);
            } else {
                for (InetAddress address : addresses) {
                    boolean matches = question.type().equals(DnsRecordType.A) && address instanceof Inet4Address
                            || question.type().equals(DnsRecordType.AAAA) && address instanceof Inet6Address;
                    if (matches) {
                        response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(),
                                question.type(), TTL_SECONDS, Unpooled.wrappedBuffer(address.getAddress())));
                    }
                }
            }
            if (paused) {
                heldAnswers.add(response);
            } else {
                ctx.writeAndFlush(response);
            }
        }
    }
}
