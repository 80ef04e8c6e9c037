package dev.ferryproxy.bind;

import dev.ferryproxy.policy.PortRange;

import java.time.Duration;
import java.util.Objects;

/**
 * How the server serves BIND.
 *
 * @param enabled whether BIND is served at all; off by default, because it opens listening ports
 *     on the proxy's host (when off, SOCKS5 answers 0x07 and SOCKS4 answers 91)
 * @param ports the ports BIND listeners may use (port 0 excluded); {@code null} for any port the system picks
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
        if (ports != null && ports.lo() == 0) {
            // Port 0 means "any port" to the system, which would leave the range.
            throw new IllegalArgumentException("bind ports: " + ports + " (expected: within 1-" + PortRange.MAX_PORT
                    + "; leave them out for any port)");
        }
    }

    /** These settings with BIND switched on or off. */
    public BindSettings withEnabled(boolean on) {
        return new BindSettings(on, ports, acceptTimeout);
    }

    /** These settings with listeners on {@code range} ({@code null}: any port the system picks). */
    public BindSettings withPorts(PortRange range) {
        return new BindSettings(enabled, range, acceptTimeout);
    }

    /** These settings with another wait for the incoming connection. */
    public BindSettings withAcceptTimeout(Duration timeout) {
        return new BindSettings(enabled, ports, timeout);
    }
}
