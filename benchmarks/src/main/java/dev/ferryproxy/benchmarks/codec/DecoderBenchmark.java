package dev.ferryproxy.benchmarks.codec;

import dev.ferryproxy.codec.FrameDecoding;
import dev.ferryproxy.codec.SocksFrameDecoder;
import dev.ferryproxy.codec.v4.Socks4ServerDecoder;
import dev.ferryproxy.codec.v5.Socks5CommandRequestDecoder;
import dev.ferryproxy.codec.v5.Socks5InitialRequestDecoder;
import dev.ferryproxy.codec.v5.Socks5PasswordAuthRequestDecoder;
import dev.ferryproxy.codec.v5.Socks5UdpDatagram;
import dev.ferryproxy.codec.v5.Socks5UdpDatagramCodec;
import io.netty.buffer.ByteBuf;
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

import java.util.concurrent.TimeUnit;

/**
 * Each server-side decoder parsing one complete frame from a pooled direct buffer: the parsing
 * and the message it builds, without the pipeline around it (the handshake benchmark has that).
 * The input buffers are made once and rewound per operation; a UDP datagram's data slice is
 * released per operation.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar codec.DecoderBenchmark -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
public class DecoderBenchmark {
    private final Socks4ServerDecoder socks4Decoder = new Socks4ServerDecoder();
    private final Socks5InitialRequestDecoder greetingDecoder = new Socks5InitialRequestDecoder();
    private final Socks5PasswordAuthRequestDecoder loginDecoder = new Socks5PasswordAuthRequestDecoder();
    private final Socks5CommandRequestDecoder requestDecoder = new Socks5CommandRequestDecoder();

    private ByteBuf socks4;
    private ByteBuf socks4a;
    private ByteBuf greeting;
    private ByteBuf login;
    private ByteBuf requestIpv4;
    private ByteBuf requestIpv6;
    private ByteBuf requestDomain;
    private ByteBuf udpIpv4;
    private ByteBuf udpDomain;

    @Setup
    public void setUp() {
        socks4 = Frames.socks4Request();
        socks4a = Frames.socks4aRequest();
        greeting = Frames.socks5Greeting();
        login = Frames.socks5Login();
        requestIpv4 = Frames.socks5Request(1);
        requestIpv6 = Frames.socks5Request(4);
        requestDomain = Frames.socks5Request(3);
        udpIpv4 = Frames.udpDatagram(1, 512);
        udpDomain = Frames.udpDatagram(3, 512);
    }

    @TearDown
    public void tearDown() {
        for (ByteBuf buf : new ByteBuf[] {socks4, socks4a, greeting, login, requestIpv4, requestIpv6, requestDomain,
                udpIpv4, udpDomain}) {
            buf.release();
        }
    }

    @Benchmark
    public Object socks4Request() {
        return decode(socks4Decoder, socks4);
    }

    @Benchmark
    public Object socks4aRequest() {
        return decode(socks4Decoder, socks4a);
    }

    @Benchmark
    public Object socks5Greeting() {
        return decode(greetingDecoder, greeting);
    }

    @Benchmark
    public Object socks5Login() {
        return decode(loginDecoder, login);
    }

    @Benchmark
    public Object socks5RequestIpv4() {
        return decode(requestDecoder, requestIpv4);
    }

    @Benchmark
    public Object socks5RequestIpv6() {
        return decode(requestDecoder, requestIpv6);
    }

    @Benchmark
    public Object socks5RequestDomain() {
        return decode(requestDecoder, requestDomain);
    }

    @Benchmark
    public Object udpHeaderIpv4() {
        return decodeDatagram(udpIpv4);
    }

    @Benchmark
    public Object udpHeaderDomain() {
        return decodeDatagram(udpDomain);
    }

    /** The decoders keep their one-frame state outside decodeFrame, so one instance serves every operation. */
    private static Object decode(SocksFrameDecoder decoder, ByteBuf frame) {
        frame.readerIndex(0);
        return FrameDecoding.decodeFrame(decoder, frame);
    }

    private static Object decodeDatagram(ByteBuf packet) {
        Socks5UdpDatagram datagram = Socks5UdpDatagramCodec.decode(packet);
        // The relay would send the data on and release it; here only the header's cost matters.
        Object address = datagram.address();
        datagram.release();
        return address;
    }
}
