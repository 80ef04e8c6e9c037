package dev.ferryproxy.server;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything a {@link ProxyServer} is started with: immutable, validated when built.
 *
 * @param listeners the addresses to accept SOCKS clients on (port 0 picks a free port)
 * @param handshakeTimeout the most a client may take from connecting to a complete request
 * @param connectTimeout the most one connection attempt to a target may take
 * @param dnsQueryTimeout the most one DNS query may take
 * @param dnsServers the name servers to ask; empty for the system's (/etc/resolv.conf)
 * @param transport the I/O transport
 * @param workerThreads event loop threads; 0 for one per core
 * @param writeBufferLowWaterMarkBytes a channel whose outbound queue falls below this becomes writable again
 * @param writeBufferHighWaterMarkBytes a channel whose outbound queue passes this stops its peer from reading
 */
public record ProxyServerConfig(
        List<InetSocketAddress> listeners,
        Duration handshakeTimeout,
        Duration connectTimeout,
        Duration dnsQueryTimeout,
        List<InetSocketAddress> dnsServers,
        TransportKind transport,
        int workerThreads,
        int writeBufferLowWaterMarkBytes,
        int writeBufferHighWaterMarkBytes) {

    public static final int DEFAULT_PORT = 1080;

    public ProxyServerConfig {
        listeners = List.copyOf(listeners);
        dnsServers = List.copyOf(dnsServers);
        Objects.requireNonNull(transport, "transport");
        if (listeners.isEmpty()) {
            throw new IllegalArgumentException("listeners: none (expected: at least one address)");
        }
        requirePositive("handshakeTimeout", handshakeTimeout);
        requirePositive("connectTimeout", connectTimeout);
        requirePositive("dnsQueryTimeout", dnsQueryTimeout);
        if (workerThreads < 0) {
            throw new IllegalArgumentException("workerThreads: " + workerThreads + " (expected: >= 0)");
        }
        if (writeBufferLowWaterMarkBytes <= 0 || writeBufferHighWaterMarkBytes < writeBufferLowWaterMarkBytes) {
            throw new IllegalArgumentException("write buffer water marks: low " + writeBufferLowWaterMarkBytes
                    + ", high " + writeBufferHighWaterMarkBytes + " (expected: 0 < low <= high)");
        }
    }

    private static void requirePositive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder with the defaults: 127.0.0.1:1080, 10 s handshake and connect timeouts. */
    public static final class Builder {
        private final List<InetSocketAddress> listeners = new ArrayList<>();
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration dnsQueryTimeout = Duration.ofSeconds(5);
        private List<InetSocketAddress> dnsServers = List.of();
        private TransportKind transport = TransportKind.AUTO;
        private int workerThreads;
        private int writeBufferLowWaterMarkBytes = 32 * 1024;
        private int writeBufferHighWaterMarkBytes = 64 * 1024;

        private Builder() {
        }

        /** Adds a listener; without any the server listens on 127.0.0.1:1080. */
        public Builder listen(InetSocketAddress address) {
            listeners.add(Objects.requireNonNull(address, "address"));
            return this;
        }

        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = timeout;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        public Builder dnsQueryTimeout(Duration timeout) {
            this.dnsQueryTimeout = timeout;
            return this;
        }

        public Builder dnsServers(List<InetSocketAddress> servers) {
            this.dnsServers = servers;
            return this;
        }

        public Builder transport(TransportKind kind) {
            this.transport = kind;
            return this;
        }

        public Builder workerThreads(int threads) {
            this.workerThreads = threads;
            return this;
        }

        public Builder writeBufferWaterMarks(int lowBytes, int highBytes) {
            this.writeBufferLowWaterMarkBytes = lowBytes;
            this.writeBufferHighWaterMarkBytes = highBytes;
            return this;
        }

        public ProxyServerConfig build() {
            List<InetSocketAddress> effective = listeners.isEmpty()
                    ? List.of(new InetSocketAddress("127.0.0.1", DEFAULT_PORT))
                    : listeners;
            return new ProxyServerConfig(effective, handshakeTimeout, connectTimeout, dnsQueryTimeout, dnsServers,
                    transport, workerThreads, writeBufferLowWaterMarkBytes, writeBufferHighWaterMarkBytes);
        }
    }
}
