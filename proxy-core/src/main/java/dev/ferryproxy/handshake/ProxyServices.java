package dev.ferryproxy.handshake;

import dev.ferryproxy.auth.LoginThrottle;
import dev.ferryproxy.auth.PasswordAuthenticator;
import dev.ferryproxy.connect.TargetConnector;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * What the per-connection handlers share across a server, built once.
 *
 * @param connector dials targets
 * @param policy the current users and rules; a reload replaces what it supplies
 * @param authenticator checks passwords off the event loops
 * @param throttle slows down password guessing per client address
 * @param sessions the logged-in connections, by user, so a reload can end a removed user's
 */
public record ProxyServices(TargetConnector connector, Supplier<ProxyPolicy> policy,
        PasswordAuthenticator authenticator, LoginThrottle throttle, UserSessions sessions) {
    public ProxyServices {
        Objects.requireNonNull(connector, "connector");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(authenticator, "authenticator");
        Objects.requireNonNull(throttle, "throttle");
        Objects.requireNonNull(sessions, "sessions");
    }
}
