package dev.ferryproxy.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.testing.Closeables;
import dev.ferryproxy.testing.DnsStub;
import dev.ferryproxy.testing.EchoServer;
import dev.ferryproxy.testing.Loopback;
import dev.ferryproxy.testing.RunningProxy;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The client example of README.md ("The client library in a Java project"), run as written against a real Ferry: the README stays true. */
class ReadmeExampleTest {
    @Test
    void blockingExampleFromTheReadmeWorks() throws Exception {
        DnsStub dns = DnsStub.start(Map.of());
        EchoServer echo = EchoServer.start(Loopback.IPV4);
        RunningProxy proxy = RunningProxy.start(dns.address());
        try {
            String proxyUri = "socks5h://" + proxy.hostAndPort();
            int port = echo.port();

            // --- as in README.md ---
            try (SocksClient client = SocksClient.builder().proxy(proxyUri).build();
                    SocksStreams tunnel = client.connectStreams(SocksTarget.of("localhost", port))) {
                OutputStream out = tunnel.output();
                out.write("hello".getBytes(StandardCharsets.US_ASCII));
                tunnel.shutdownOutput();
                InputStream in = tunnel.input();
                String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
                // --- end ---
                assertThat(answer).isEqualTo("hello");
            }
        } finally {
            Closeables.closeAll(proxy, echo, dns);
        }
    }
}
