package dev.ferryproxy.udp;

import io.netty.buffer.ByteBuf;

/**
 * The last step from client to target: puts one payload, already checked against the rules and
 * the limits, on its way to its destination.
 *
 * <p>This is the seam for routing some destinations elsewhere than straight out of the relay
 * socket (say, through a parent SOCKS5 proxy's own UDP relay). Such a sender delivers what comes
 * back with {@link UdpAssociation#relayToClient}, and releases what it holds in {@link #close()}.
 * {@link UdpAssociateService} makes one sender per association; {@link DirectUdpSender} is the
 * default. Every method is called on the association's event loop.
 */
public interface UdpDestinationSender {
    /**
     * Sends {@code payload} (the datagram's data, without the SOCKS header) to {@code target}.
     * Takes ownership of {@code payload}: it is released on every path.
     *
     * @return {@code null} when the datagram went on its way, else why it was dropped (the
     *     association counts it)
     */
    UdpDrop send(UdpTarget target, ByteBuf payload);

    /** Flushes what {@link #send} queued; called once per batch of datagrams read. */
    void flush();

    /** Releases what the sender holds; called once when the association ends. */
    default void close() {
    }
}
