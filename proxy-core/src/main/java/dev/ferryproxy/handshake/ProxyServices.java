package dev.ferryproxy.handshake;

import dev.ferryproxy.admission.Admission;
import dev.ferryproxy.auth.LoginThrottle;
import dev.ferryproxy.auth.PasswordAuthenticator;
import dev.ferryproxy.bind.BindService;
import dev.ferryproxy.connect.TargetConnector;
import dev.ferryproxy.connect.UpstreamConnector;
import dev.ferryproxy.limits.Limiter;
import dev.ferryproxy.udp.UdpAssociateService;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * What the per-connection handlers share across a server, built once.
 *
 * @param connector dials targets
 * @param upstreamConnector reaches targets through parent proxies
 * @param policy the current users and rules; a reload replaces what it supplies
 * @param authenticator checks passwords off the event loops
 * @param throttle slows down password guessing per client address
 * @param sessions the logged-in connections, by user, so a reload can end a removed user's
 * @param bind what BIND needs (and whether it is on)
 * @param udp what UDP ASSOCIATE needs (and whether it is on)
 * @param admission the limits on connections, handshakes and UDP associations, in all and per client
 * @param limiter the per-user and per-network limits on tunnels, their rate, bandwidth and quota
 */
public record ProxyServices(TargetConnector connector, UpstreamConnector upstreamConnector, Supplier<ProxyPolicy> policy,
        PasswordAuthenticator authenticator, LoginThrottle throttle, UserSessions sessions,
        BindService bind, UdpAssociateService udp, Admission admission, Limiter limiter) {
    public ProxyServices {
        Objects.requireNonNull(connector, "connector");
        Objects.requireNonNull(upstreamConnector, "upstreamConnector");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(authenticator, "authenticator");
        Objects.requireNonNull(throttle, "throttle");
        Objects.requireNonNull(sessions, "sessions");
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(udp, "udp");
        Objects.requireNonNull(admission, "admission");
        Objects.requireNonNull(limiter, "limiter");
    }
}
