package dev.ferryproxy.limits;

import dev.ferryproxy.policy.Cidr;

import java.util.Objects;

/**
 * A limit for the clients of one network.
 *
 * @param network the client addresses it covers
 * @param perAddress whether each address of the network has the limit to itself ({@code per:
 *     address}) rather than the network as a whole sharing it ({@code per: network})
 * @param limit the bounds
 */
public record NetworkLimit(Cidr network, boolean perAddress, Limit limit) {
    public NetworkLimit {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(limit, "limit");
    }
}
