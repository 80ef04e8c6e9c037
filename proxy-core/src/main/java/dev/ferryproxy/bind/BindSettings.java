package dev.ferryproxy.bind;

import dev.ferryproxy.policy.PortRange;

import java.time.Duration;
import java.util.Objects;

/**
 * How the server serves BIND.
 *
 * @param enabled whether BIND is served at all; off by default, because it opens listening ports
 *     on the proxy's host (when off, SOCKS5 answers 0x07 and SOCKS4 answers 91)
 * @param ports the ports BIND listeners may use; {@code null} for any port the system picks
 * @param acceptTimeout how long a BIND listener waits for its one incoming connection
 */
public record BindSettings(boolean enabled, PortRange ports, Duration acceptTimeout) {
    /** Off, any port, 60 s. */
    public static final BindSettings DEFAULT = new BindSettings(false, null, Duration.ofSeconds(60));

    public BindSettings {
        Objects.requireNonNull(acceptTimeout, "acceptTimeout");
        if (acceptTimeout.isNegative() || acceptTimeout.isZero()) {
            throw new IllegalArgumentException("bind acceptTimeout: " + acceptTimeout + " (expected: > 0)");
        }
    }

    /** These settings with BIND switched on or off. */
    public BindSettings withEnabled(boolean on) {
        return new BindSettings(on, ports, acceptTimeout);
    }
}
