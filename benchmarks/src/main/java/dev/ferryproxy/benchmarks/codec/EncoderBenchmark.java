package dev.ferryproxy.benchmarks.codec;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.v4.Socks4CommandResponse;
import dev.ferryproxy.codec.v4.Socks4CommandStatus;
import dev.ferryproxy.codec.v4.Socks4ServerEncoder;
import dev.ferryproxy.codec.v5.Socks5CommandResponse;
import dev.ferryproxy.codec.v5.Socks5CommandStatus;
import dev.ferryproxy.codec.v5.Socks5InitialResponse;
import dev.ferryproxy.codec.v5.Socks5PasswordAuthResponse;
import dev.ferryproxy.codec.v5.Socks5ServerEncoder;
import dev.ferryproxy.codec.v5.Socks5UdpDatagramCodec;
import dev.ferryproxy.command.CommandOutcome;
import dev.ferryproxy.command.Socks4CommandReplies;
import dev.ferryproxy.command.Socks5CommandReplies;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;

/**
 * The server's replies: each encoder writing one message into a pooled direct buffer (cleared per
 * operation, released at the end). The {@code *FromSocket} cases also build the success reply from
 * the target channel's local address, as the CONNECT handler does once per connection.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar codec.EncoderBenchmark -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
public class EncoderBenchmark {
    private ByteBuf out;
    private InetSocketAddress boundIpv4;
    private InetSocketAddress boundIpv6;
    private Socks4CommandResponse socks4Success;
    private Socks5CommandResponse socks5SuccessIpv4;
    private Socks5CommandResponse socks5SuccessIpv6;
    private Socks5CommandResponse socks5Forbidden;
    private SocksAddress udpSource;

    @Setup
    public void setUp() throws UnknownHostException {
        out = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        boundIpv4 = new InetSocketAddress(InetAddress.getByAddress(Frames.IPV4), 50123);
        boundIpv6 = new InetSocketAddress(InetAddress.getByAddress(Frames.IPV6), 50123);
        socks4Success = new Socks4CommandResponse(Socks4CommandStatus.SUCCESS, SocksAddress.of(boundIpv4));
        socks5SuccessIpv4 = new Socks5CommandResponse(Socks5CommandStatus.SUCCESS, SocksAddress.of(boundIpv4));
        socks5SuccessIpv6 = new Socks5CommandResponse(Socks5CommandStatus.SUCCESS, SocksAddress.of(boundIpv6));
        socks5Forbidden = (Socks5CommandResponse) Socks5CommandReplies.INSTANCE.failure(CommandOutcome.NOT_ALLOWED);
        udpSource = SocksAddress.of(boundIpv4);
    }

    @TearDown
    public void tearDown() {
        out.release();
    }

    @Benchmark
    public ByteBuf socks4Reply() {
        Socks4ServerEncoder.encode(socks4Success, out.clear());
        return out;
    }

    @Benchmark
    public ByteBuf socks4ReplyFromSocket() {
        Socks4ServerEncoder.encode((Socks4CommandResponse) Socks4CommandReplies.INSTANCE.success(boundIpv4), out.clear());
        return out;
    }

    @Benchmark
    public ByteBuf socks5MethodSelection() {
        Socks5ServerEncoder.encode(Socks5InitialResponse.NO_AUTH, out.clear());
        return out;
    }

    @Benchmark
    public ByteBuf socks5LoginReply() {
        Socks5ServerEncoder.encode(Socks5PasswordAuthResponse.SUCCESS, out.clear());
        return out;
    }

    @Benchmark
    public ByteBuf socks5ReplyIpv4() {
        Socks5ServerEncoder.encode(socks5SuccessIpv4, out.clear());
        return out;
    }

    @Benchmark
    public ByteBuf socks5ReplyIpv6() {
        Socks5ServerEncoder.encode(socks5SuccessIpv6, out.clear());
        return out;
    }

    @Benchmark
    public ByteBuf socks5ReplyForbidden() {
        Socks5ServerEncoder.encode(socks5Forbidden, out.clear());
        return out;
    }

    @Benchmark
    public ByteBuf socks5ReplyFromSocket() {
        Socks5ServerEncoder.encode(Socks5CommandReplies.INSTANCE.success(boundIpv4), out.clear());
        return out;
    }

    @Benchmark
    public ByteBuf udpHeader() {
        Socks5UdpDatagramCodec.encodeHeader(0, udpSource, out.clear());
        return out;
    }
}
