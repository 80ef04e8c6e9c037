package dev.ferryproxy.udp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;

/**
 * Sends straight out of the association's relay socket, the one the client talks to: replies
 * then come back to that socket, where the relay handler recognises them by their sender.
 *
 * <p>A full send queue (the socket's high water mark) drops the datagram instead of queueing
 * it: UDP may lose datagrams, and a queue that grows without bound may not. Writes use the void
 * promise, so a failed send costs no allocation and reaches the relay handler's
 * {@code exceptionCaught}, which counts it.
 */
public final class DirectUdpSender implements UdpDestinationSender {
    private final Channel relay;

    DirectUdpSender(Channel relay) {
        this.relay = relay;
    }

    /**
     * The sender that uses {@code association}'s relay socket: for senders that route only some
     * destinations elsewhere and the rest here.
     */
    public static DirectUdpSender forAssociation(UdpAssociation association) {
        return new DirectUdpSender(association.relayChannel());
    }

    @Override
    public UdpDrop send(UdpTarget target, ByteBuf payload) {
        if (!relay.isWritable()) {
            payload.release();
            return UdpDrop.CONGESTED;
        }
        relay.write(new DatagramPacket(payload, target.address()), relay.voidPromise());
        return null;
    }

    @Override
    public void flush() {
        relay.flush();
    }
}
