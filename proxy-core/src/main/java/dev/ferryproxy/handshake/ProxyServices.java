package dev.ferryproxy.handshake;

import dev.ferryproxy.connect.TargetConnector;

import java.util.Objects;

/** What the per-connection handshake handlers share across a server: built once, immutable. */
public record ProxyServices(TargetConnector connector) {
    public ProxyServices {
        Objects.requireNonNull(connector, "connector");
    }
}
