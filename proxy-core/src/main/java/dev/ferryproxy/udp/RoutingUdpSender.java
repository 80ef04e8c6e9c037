package dev.ferryproxy.udp;

import dev.ferryproxy.connect.Upstream;
import dev.ferryproxy.connect.UpstreamConnector;
import io.netty.buffer.ByteBuf;
import io.netty.channel.socket.DatagramChannel;

import java.util.HashMap;
import java.util.Map;

/**
 * Sends each destination's datagrams the way its rule says: directly out of the relay socket, or
 * through the upstream its rule names ({@code via}), over one {@link UpstreamUdpLink} per upstream
 * and association, made the first time that upstream is needed.
 */
public final class RoutingUdpSender implements UdpDestinationSender {
    private final UdpAssociation association;
    private final UdpDestinationSender direct;
    private final UpstreamConnector connector;
    private final Class<? extends DatagramChannel> datagramChannelType;
    private final Map<String, UpstreamUdpLink> links = new HashMap<>();

    public RoutingUdpSender(UdpAssociation association, UpstreamConnector connector,
            Class<? extends DatagramChannel> datagramChannelType) {
        this.association = association;
        this.direct = DirectUdpSender.forAssociation(association);
        this.connector = connector;
        this.datagramChannelType = datagramChannelType;
    }

    @Override
    public UdpDrop send(UdpTarget target, ByteBuf payload) {
        if (target.via() == null) {
            return direct.send(target, payload);
        }
        UpstreamUdpLink link = links.get(target.via());
        if (link == null) {
            Upstream upstream = association.upstreams().get(target.via());
            if (upstream == null) {
                // The policy checked every via when it was built; this cannot happen.
                payload.release();
                return UdpDrop.UNREACHABLE;
            }
            link = new UpstreamUdpLink(upstream, association);
            links.put(target.via(), link);
            link.open(connector, datagramChannelType);
        }
        return link.send(target, payload);
    }

    @Override
    public void flush() {
        direct.flush();
        for (UpstreamUdpLink link : links.values()) {
            link.flush();
        }
    }

    @Override
    public void close() {
        direct.close();
        for (UpstreamUdpLink link : links.values()) {
            link.close();
        }
    }
}
