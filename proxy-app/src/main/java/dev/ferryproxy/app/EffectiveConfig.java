package dev.ferryproxy.app;

import dev.ferryproxy.app.config.ConfigException;
import dev.ferryproxy.admission.AdmissionLimits;
import dev.ferryproxy.app.config.FerryConfig;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.bind.BindSettings;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.proxyprotocol.ProxyProtocolSettings;
import dev.ferryproxy.server.ProxyServerConfig;
import dev.ferryproxy.udp.UdpSettings;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * Puts the configuration file, the command line and the defaults together. The command line
 * wins over the file, and the file over the defaults. {@code --listen} replaces the file's
 * {@code listen} list, and {@code --user} adds users to the file's users.
 */
final class EffectiveConfig {
    private EffectiveConfig() {
    }

    /**
     * The users and rules: the file's users plus the command line's, required when
     * {@code auth.required} says so, or else when there is any user.
     *
     * @throws ConfigException when {@code auth.required: true} but there is no user
     */
    static ProxyPolicy policy(FerryConfig file, UserDirectory commandLineUsers) throws ConfigException {
        UserDirectory users = file.auth().users().with(commandLineUsers);
        boolean required = file.auth().required() != null ? file.auth().required() : !users.isEmpty();
        if (required && users.isEmpty()) {
            throw file.auth().requiredNode().error("is true, but no user is configured (add auth.users or"
                    + " auth.usersFile, or pass --user NAME:PASSWORD)");
        }
        return new ProxyPolicy(new AccessRules(file.rules()), users, required, file.upstreams());
    }

    /**
     * Everything the server starts with.
     *
     * @throws IllegalArgumentException when the result is not valid, e.g. it would make an open proxy
     */
    static ProxyServerConfig serverConfig(FerryConfig file, CommandLineSettings options, ProxyPolicy policy) {
        ProxyServerConfig.Builder builder = ProxyServerConfig.builder()
                .policy(policy)
                .allowOpenProxy(options.allowOpenProxy() || Boolean.TRUE.equals(file.allowOpenProxy()));
        boolean fileListeners = options.listeners().isEmpty() && file.listeners() != null;
        List<InetSocketAddress> listeners = fileListeners ? file.listeners() : options.listeners();
        listeners.forEach(builder::listen);
        if (options.proxyProtocol() != null) {
            // --proxy-protocol applies to every listener, replacing the file's proxyProtocol entries.
            ProxyProtocolSettings settings = commandLineProxyProtocol(options);
            (listeners.isEmpty() ? List.of(new InetSocketAddress("127.0.0.1", ProxyServerConfig.DEFAULT_PORT)) : listeners)
                    .forEach(listener -> builder.proxyProtocol(listener, settings));
        } else if (fileListeners) {
            // The file's entries name the file's listeners; --listen replaces both.
            file.proxyProtocol().forEach(builder::proxyProtocol);
        }
        if (!options.dnsServers().isEmpty()) {
            builder.dnsServers(options.dnsServers());
        } else if (file.dnsServers() != null) {
            builder.dnsServers(file.dnsServers());
        }
        if (first(options.handshakeTimeout(), file.handshakeTimeout()) != null) {
            builder.handshakeTimeout(first(options.handshakeTimeout(), file.handshakeTimeout()));
        }
        if (first(options.connectTimeout(), file.connectTimeout()) != null) {
            builder.connectTimeout(first(options.connectTimeout(), file.connectTimeout()));
        }
        if (file.dnsQueryTimeout() != null) {
            builder.dnsQueryTimeout(file.dnsQueryTimeout());
        }
        if (first(options.transport(), file.transport()) != null) {
            builder.transport(first(options.transport(), file.transport()));
        }
        if (first(options.idleTimeout(), file.idleTimeout()) != null) {
            builder.idleTimeout(first(options.idleTimeout(), file.idleTimeout()));
        }
        if (first(options.relay(), file.relay()) != null) {
            builder.relay(first(options.relay(), file.relay()));
        }
        if (first(options.workerThreads(), file.workerThreads()) != null) {
            builder.workerThreads(first(options.workerThreads(), file.workerThreads()));
        }
        if (file.auth().closeConnectionsOfRemovedUsers() != null) {
            builder.closeConnectionsOfRemovedUsers(file.auth().closeConnectionsOfRemovedUsers());
        }
        if (file.auth().throttle() != null) {
            builder.loginThrottle(file.auth().throttle());
        }
        if (file.auth().cacheTtl() != null) {
            builder.authCacheTtl(file.auth().cacheTtl());
        }
        builder.bind(bindSettings(file.bind(), options.allowBind()));
        builder.udp(udpSettings(file.udp(), options.noUdp()));
        builder.advertisedAddress(first(options.advertisedAddress(), file.advertisedAddress()));
        builder.admission(admissionLimits(file.admission(), AdmissionLimits.forThisProcess()));
        builder.limits(file.limits()).cluster(file.cluster());
        // build() refuses an open proxy (ProxyServerConfig.checkNotAnOpenProxy).
        return builder.build();
    }

    /** The file's admission limits, each key not given taken from {@code derived} (the descriptor limit's). */
    static AdmissionLimits admissionLimits(FerryConfig.Admission file, AdmissionLimits derived) {
        int connections = first(file.maxConnections(), derived.maxConnections());
        int udp = first(file.maxUdpAssociations(), derived.maxUdpAssociations());
        // a share left to the default is never larger than a total the file lowered
        return new AdmissionLimits(connections,
                first(file.maxConnectionsPerClient(), Math.min(derived.maxConnectionsPerClient(), connections)),
                first(file.maxHandshakesPerClient(), Math.min(derived.maxHandshakesPerClient(), connections)),
                udp,
                first(file.maxUdpAssociationsPerClient(), Math.min(derived.maxUdpAssociationsPerClient(), udp)));
    }

    private static ProxyProtocolSettings commandLineProxyProtocol(CommandLineSettings options) {
        try {
            return new ProxyProtocolSettings(options.proxyProtocol(), options.proxyProtocolTrusted(),
                    first(options.proxyProtocolHeaderTimeout(), ProxyProtocolSettings.DEFAULT_HEADER_TIMEOUT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--proxy-protocol: " + e.getMessage()
                    + " (pass --proxy-protocol-trusted CIDR, repeatable)", e);
        }
    }

    /** BIND is on when {@code --allow-bind} or {@code bind.enabled: true} says so. */
    static BindSettings bindSettings(FerryConfig.Bind file, boolean allowBind) {
        BindSettings defaults = BindSettings.DEFAULT;
        return new BindSettings(allowBind || Boolean.TRUE.equals(file.enabled()),
                first(file.ports(), defaults.ports()),
                first(file.timeout(), defaults.acceptTimeout()));
    }

    /** UDP ASSOCIATE is on unless {@code --no-udp} or {@code udp.enabled: false} says otherwise. */
    static UdpSettings udpSettings(FerryConfig.Udp file, boolean noUdp) {
        UdpSettings defaults = UdpSettings.DEFAULT;
        return new UdpSettings(!noUdp && !Boolean.FALSE.equals(file.enabled()),
                first(file.ports(), defaults.ports()),
                first(file.idleTimeout(), defaults.idleTimeout()),
                first(file.maxDatagramBytes(), defaults.maxDatagramBytes()),
                first(file.maxDestinations(), defaults.maxDestinations()),
                first(file.maxPacketsPerSecond(), defaults.maxPacketsPerSecond()),
                first(file.repliesFromAnySource(), defaults.repliesFromAnySource()));
    }

    private static <T> T first(T preferred, T fallback) {
        return preferred != null ? preferred : fallback;
    }
}
