package dev.ferryproxy.relay;

import io.netty.channel.Channel;

import java.time.Duration;
import java.util.Objects;

/**
 * How every tunnel of a server relays, decided once at start.
 *
 * @param splice whether tunnels splice (the transport is epoll and splice was chosen)
 * @param idleTimeout a tunnel with no byte either way for this long is closed; zero for never
 */
public record RelaySettings(boolean splice, Duration idleTimeout) {
    /** Buffers, no idle timeout. */
    public static final RelaySettings DEFAULT = new RelaySettings(false, Duration.ZERO);

    public RelaySettings {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: >= 0)");
        }
    }

    /**
     * Prepares a channel that may become one side of a tunnel, before its first read: with splice
     * on, it gets a {@link SpliceTap} (the read handle is created at the first read and kept, so
     * it cannot be added later).
     */
    public void prepare(Channel channel) {
        if (splice) {
            SpliceTap.install(channel);
        }
    }
}
