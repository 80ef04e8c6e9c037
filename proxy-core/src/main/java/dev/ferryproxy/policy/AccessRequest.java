package dev.ferryproxy.policy;

import dev.ferryproxy.resolve.NumericHosts;
import java.net.InetAddress;
import java.util.Objects;

/**
 * What a rule is asked about. user: the RFC 1929 user name or the SOCKS4 USERID, null when none.
 * destinationName: the name the client asked for, null when it asked for an address.
 * destinationAddress: the address that would be dialled (the resolved one for a name), null when
 * not known yet.
 *
 * <p>At least one of destinationName and destinationAddress is set: a request by address has its
 * address from the start. A name that {@link NumericHosts} parses is not a name; the caller passes
 * it as its address.
 *
 * @param client the client's address (the TCP peer of the SOCKS connection)
 * @param user the user name or USERID, null when none
 * @param socksVersion 4 (SOCKS4 and SOCKS4a) or 5
 * @param command the command asked for
 * @param destinationName the name asked for, null for a request by address
 * @param destinationAddress the address to dial, null while a name is unresolved
 * @param destinationPort the destination port, 0-65535
 */
public record AccessRequest(InetAddress client, String user, int socksVersion, Command command, String destinationName,
        InetAddress destinationAddress, int destinationPort) {

    /** Checks the fields. */
    public AccessRequest {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(command, "command");
        if (socksVersion != 4 && socksVersion != 5) {
            throw new IllegalArgumentException("socksVersion " + socksVersion + " is not 4 or 5");
        }
        if (destinationName == null && destinationAddress == null) {
            throw new IllegalArgumentException("a request needs a destination name or a destination address");
        }
        if (destinationPort < 0 || destinationPort > PortRange.MAX_PORT) {
            throw new IllegalArgumentException("destinationPort " + destinationPort + " is out of range (expected: 0-"
                    + PortRange.MAX_PORT + ")");
        }
    }

    /** This request with {@code address} as the address to dial (one resolved address of the name). */
    public AccessRequest withDestinationAddress(InetAddress address) {
        return new AccessRequest(client, user, socksVersion, command, destinationName, address, destinationPort);
    }
}
