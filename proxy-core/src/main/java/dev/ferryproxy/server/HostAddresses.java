package dev.ferryproxy.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The addresses of this host's network interfaces, for the egress guard: a client must not reach,
 * through the proxy, a port that listens on the host's own address (the admin listener on a pod's
 * IP, a database bound to the LAN address). Read at start and on each reload, never on an event
 * loop: listing the interfaces asks the kernel.
 */
public final class HostAddresses {
    private static final Logger log = LoggerFactory.getLogger(HostAddresses.class);

    private HostAddresses() {
    }

    /** Every address of every interface that is up; empty (and a warning) when they cannot be listed. */
    public static List<InetAddress> ofThisHost() {
        List<InetAddress> addresses = new ArrayList<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (nic.isUp()) {
                    addresses.addAll(Collections.list(nic.getInetAddresses()));
                }
            }
        } catch (SocketException e) {
            log.warn("cannot list this host's network interfaces; the egress guard keeps clients off loopback,"
                    + " link-local, metadata and multicast, but not off the host's own other addresses: {}", e.toString());
        }
        return addresses;
    }
}
