package dev.ferryproxy.relay;

import io.netty.channel.Channel;

/**
 * Hears what happens to a tunnel's two relay handlers, on their event loop: bytes read, a side's
 * input ending, a failure. The access log uses it to count per tunnel and to tell who ended it.
 */
public interface RelayObserver {
    /** Observes nothing. */
    RelayObserver NONE = new RelayObserver() {
    };

    /** {@code bytes} were read on {@code from} (and are being written to its peer). */
    default void read(Channel from, int bytes) {
    }

    /** {@code side}'s input ended (EOF). */
    default void inputEnded(Channel side) {
    }

    /** Reading or writing on {@code side} failed; both channels are closing. */
    default void failed(Channel side, Throwable cause) {
    }
}
