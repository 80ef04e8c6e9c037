package dev.ferryproxy.codec.v5;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksAddressCodec;
import dev.ferryproxy.codec.SocksAddressType;
import dev.ferryproxy.codec.SocksProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

/**
 * Reads and writes the SOCKS5 UDP header. A datagram arrives whole, so unlike the stream
 * decoders a short packet is malformed, not incomplete.
 */
public final class Socks5UdpDatagramCodec {
    /** RSV(2) and FRAG. */
    private static final int PREFIX_LENGTH = 3;

    private Socks5UdpDatagramCodec() {
    }

    /**
     * Decodes one datagram. The returned datagram's data is a retained slice of {@code packet};
     * {@code packet} itself is neither released nor moved.
     *
     * @throws SocksProtocolException when the header is truncated, has an unknown ATYP or an empty name
     */
    public static Socks5UdpDatagram decode(ByteBuf packet) {
        int start = packet.readerIndex();
        int readable = packet.readableBytes();
        if (readable < PREFIX_LENGTH + 1) {
            throw new SocksProtocolException("UDP datagram of " + readable + " bytes is shorter than its header");
        }
        int frag = packet.getUnsignedByte(start + 2);
        byte atyp = packet.getByte(start + PREFIX_LENGTH);
        int addressIndex = start + PREFIX_LENGTH + 1;
        int addressLength = SocksAddressCodec.addressFieldLength(packet, addressIndex, atyp);
        int headerLength = PREFIX_LENGTH + 1 + addressLength + 2;
        if (addressLength == SocksAddressCodec.NEED_MORE || readable < headerLength) {
            throw new SocksProtocolException("UDP datagram of " + readable + " bytes is shorter than its header");
        }
        SocksAddress address = SocksAddressCodec.read(packet, addressIndex, SocksAddressType.valueOf(atyp));
        ByteBuf data = packet.retainedSlice(start + headerLength, readable - headerLength);
        return new Socks5UdpDatagram(frag, address, data);
    }

    /** The header length for an address: RSV, FRAG, ATYP, ADDR, PORT. */
    public static int headerLength(SocksAddress address) {
        return PREFIX_LENGTH + SocksAddressCodec.encodedLength(address);
    }

    /** Writes RSV, FRAG, ATYP, ADDR and PORT. */
    public static void encodeHeader(int frag, SocksAddress address, ByteBuf out) {
        out.writeShort(0);
        out.writeByte(frag);
        SocksAddressCodec.write(address, out);
    }

    /**
     * Encodes a whole datagram without copying its data: a composite of a new header and the
     * datagram's data. Takes over the datagram's reference.
     */
    public static ByteBuf encode(ByteBufAllocator alloc, Socks5UdpDatagram datagram) {
        ByteBuf header = alloc.ioBuffer(headerLength(datagram.address()));
        CompositeByteBuf packet = alloc.compositeDirectBuffer(2);
        try {
            encodeHeader(datagram.frag(), datagram.address(), header);
        } catch (RuntimeException e) {
            header.release();
            packet.release();
            datagram.release();
            throw e;
        }
        return packet.addComponents(true, header, datagram.content());
    }
}
