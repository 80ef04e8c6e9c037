package dev.ferryproxy.app;

import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.proxyprotocol.ProxyProtocolMode;
import dev.ferryproxy.relay.RelayMode;
import dev.ferryproxy.transport.TransportKind;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * The server settings given as options. Null (or an empty list) means "not given", so that the
 * configuration file and then the defaults decide.
 */
record CommandLineSettings(
        List<InetSocketAddress> listeners,
        Duration handshakeTimeout,
        Duration connectTimeout,
        List<InetSocketAddress> dnsServers,
        TransportKind transport,
        Integer workerThreads,
        boolean allowOpenProxy,
        boolean allowBind,
        boolean noUdp,
        InetAddress advertisedAddress,
        ProxyProtocolMode proxyProtocol,
        List<Cidr> proxyProtocolTrusted,
        Duration proxyProtocolHeaderTimeout,
        Duration idleTimeout,
        RelayMode relay) {

    CommandLineSettings {
        listeners = List.copyOf(listeners);
        dnsServers = List.copyOf(dnsServers);
        proxyProtocolTrusted = List.copyOf(proxyProtocolTrusted);
    }

    /** Without PROXY protocol options. */
    CommandLineSettings(List<InetSocketAddress> listeners, Duration handshakeTimeout, Duration connectTimeout,
            List<InetSocketAddress> dnsServers, TransportKind transport, Integer workerThreads, boolean allowOpenProxy,
            boolean allowBind, boolean noUdp, InetAddress advertisedAddress) {
        this(listeners, handshakeTimeout, connectTimeout, dnsServers, transport, workerThreads, allowOpenProxy,
                allowBind, noUdp, advertisedAddress, null, List.of(), null, null, null);
    }

    static CommandLineSettings none() {
        return new CommandLineSettings(List.of(), null, null, List.of(), null, null, false, false, false, null);
    }
}
