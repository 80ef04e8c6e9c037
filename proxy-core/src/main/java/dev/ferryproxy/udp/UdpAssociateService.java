package dev.ferryproxy.udp;

import dev.ferryproxy.resolve.NameResolver;
import io.netty.channel.socket.DatagramChannel;

import java.net.InetAddress;
import java.util.Objects;

/**
 * What every UDP association of a server shares, built once.
 *
 * @param settings whether UDP ASSOCIATE is on, its ports, timeout and limits
 * @param datagramChannelType the transport's UDP socket class
 * @param resolver resolves destination names without blocking
 * @param advertisedAddress the address put in the reply in place of the relay's own (for NAT,
 *     containers and load balancers); {@code null} for the local address of the client's connection
 */
public record UdpAssociateService(UdpSettings settings, Class<? extends DatagramChannel> datagramChannelType,
        NameResolver resolver, InetAddress advertisedAddress) {
    public UdpAssociateService {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(datagramChannelType, "datagramChannelType");
        Objects.requireNonNull(resolver, "resolver");
    }
}
