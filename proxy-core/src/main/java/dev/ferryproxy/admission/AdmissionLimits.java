package dev.ferryproxy.admission;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * How much of the server one client, and all clients, may hold at once. The defaults come from
 * the process's descriptor limit (RLIMIT_NOFILE), which is what runs out first: a tunnel holds two
 * descriptors (client and target), a UDP association one more for its relay socket.
 *
 * @param maxConnections client connections open at once, in all
 * @param maxConnectionsPerClient of them, from one client address (IPv6: one /64)
 * @param maxHandshakesPerClient connections of one client that have not finished their handshake
 *     (greeting, login, request): what a flood of greeting-only connections fills
 * @param maxUdpAssociations UDP associations at once, in all
 * @param maxUdpAssociationsPerClient of them, for one client address (IPv6: one /64)
 */
public record AdmissionLimits(int maxConnections, int maxConnectionsPerClient, int maxHandshakesPerClient,
        int maxUdpAssociations, int maxUdpAssociationsPerClient) {
    /** Descriptors kept back for everything else: listeners, DNS sockets, the admin listener, files, the JVM. */
    static final int RESERVED_DESCRIPTORS = 256;
    /** Used when the limit cannot be read (not a Unix JVM). */
    static final long ASSUMED_DESCRIPTOR_LIMIT = 65_536;

    public AdmissionLimits {
        requireAtLeastOne("maxConnections", maxConnections);
        requireAtLeastOne("maxConnectionsPerClient", maxConnectionsPerClient);
        requireAtLeastOne("maxHandshakesPerClient", maxHandshakesPerClient);
        requireAtLeastOne("maxUdpAssociations", maxUdpAssociations);
        requireAtLeastOne("maxUdpAssociationsPerClient", maxUdpAssociationsPerClient);
    }

    /**
     * The defaults for {@code descriptors} open files: half of what is left after the reserve for
     * connections (each may open a target), a tenth of that per client, 64 handshakes per client
     * (no honest client has more under way), and a quarter for UDP associations, a tenth of that
     * per client. So no one client holds more than a tenth of any of them.
     */
    public static AdmissionLimits forDescriptors(long descriptors) {
        long usable = Math.max(descriptors - RESERVED_DESCRIPTORS, 64);
        int connections = (int) Math.min(usable / 2, Integer.MAX_VALUE);
        int perClient = Math.max(connections / 10, 16);
        int udp = (int) Math.max(Math.min(usable / 4, Integer.MAX_VALUE), 8);
        return new AdmissionLimits(connections, Math.min(perClient, connections), Math.min(64, perClient),
                udp, Math.max(udp / 10, 4));
    }

    /** {@link #forDescriptors} of this process's limit. */
    public static AdmissionLimits forThisProcess() {
        return forDescriptors(descriptorLimit());
    }

    /** The process's descriptor limit (RLIMIT_NOFILE), or {@link #ASSUMED_DESCRIPTOR_LIMIT} where the JVM does not say. */
    public static long descriptorLimit() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean) {
            return ((com.sun.management.UnixOperatingSystemMXBean) os).getMaxFileDescriptorCount();
        }
        return ASSUMED_DESCRIPTOR_LIMIT;
    }

    private static void requireAtLeastOne(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= 1)");
        }
    }

    @Override
    public String toString() {
        return maxConnections + " connections (" + maxConnectionsPerClient + " per client), " + maxHandshakesPerClient
                + " handshakes per client, " + maxUdpAssociations + " UDP associations (" + maxUdpAssociationsPerClient
                + " per client)";
    }
}
