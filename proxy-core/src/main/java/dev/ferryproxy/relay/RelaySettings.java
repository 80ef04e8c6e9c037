package dev.ferryproxy.relay;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.RecvByteBufAllocator;

import java.time.Duration;
import java.util.Objects;

/**
 * How every tunnel of a server relays, decided once at start.
 *
 * @param splice whether tunnels splice (the transport is epoll and splice was chosen)
 * @param idleTimeout a tunnel with no byte either way for this long is closed; zero for never
 */
public record RelaySettings(boolean splice, Duration idleTimeout) {
    /**
     * The receive buffers of tunnel channels: adaptive, as Netty's default, but growing to
     * 256 KiB instead of 64 KiB, so a bulk transfer needs a quarter of the reads and writes.
     * Measured: +24 to +40 % throughput on loopback (docs/performance.md, "Relay"). A relay's
     * memory is bounded by its peer's high water mark plus one read, now up to 256 KiB.
     */
    static final RecvByteBufAllocator RECEIVE_BUFFERS = new AdaptiveRecvByteBufAllocator(64, 16 * 1024, RelaySettings.MAX_READ_BYTES);

    /** The most one read of a tunnel takes: also what a spent quota can be overshot by, per tunnel. */
    public static final int MAX_READ_BYTES = 256 * 1024;

    /** Buffers, no idle timeout. */
    public static final RelaySettings DEFAULT = new RelaySettings(false, Duration.ZERO);

    public RelaySettings {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: >= 0)");
        }
    }

    /**
     * Prepares a channel that may become one side of a tunnel, before its first read: it gets
     * {@link #RECEIVE_BUFFERS} and, with splice on, a {@link SpliceTap} around them (the read
     * handle is created at the first read and kept, so neither can be changed later).
     */
    public void prepare(Channel channel) {
        channel.config().setRecvByteBufAllocator(RECEIVE_BUFFERS);
        if (splice) {
            SpliceTap.install(channel);
        }
    }
}
