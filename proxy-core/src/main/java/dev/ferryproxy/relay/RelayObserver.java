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

    /** This observer, then {@code next}. */
    default RelayObserver and(RelayObserver next) {
        if (next == NONE) {
            return this;
        }
        if (this == NONE) {
            return next;
        }
        RelayObserver first = this;
        return new RelayObserver() {
            @Override
            public void read(Channel from, int bytes) {
                first.read(from, bytes);
                next.read(from, bytes);
            }

            @Override
            public void inputEnded(Channel side) {
                first.inputEnded(side);
                next.inputEnded(side);
            }

            @Override
            public void failed(Channel side, Throwable cause) {
                first.failed(side, cause);
                next.failed(side, cause);
            }
        };
    }
}
