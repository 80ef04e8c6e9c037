package dev.ferryproxy.codec.v5;

import dev.ferryproxy.codec.SocksAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

import java.util.Objects;

/**
 * A UDP datagram as relayed by SOCKS5: {@code RSV(2), FRAG, ATYP, DST.ADDR, DST.PORT, DATA}.
 * Holds its DATA, which the receiver must release.
 */
public final class Socks5UdpDatagram extends DefaultByteBufHolder {
    private final int frag;
    private final SocksAddress address;

    /**
     * @param frag the fragment number; 0 for a whole datagram
     * @param address the destination (client to relay) or the source (relay to client)
     * @param data the payload, whose ownership passes to this datagram
     */
    public Socks5UdpDatagram(int frag, SocksAddress address, ByteBuf data) {
        super(checkArguments(frag, address, data));
        this.frag = frag;
        this.address = address;
    }

    /** Validates before the data is taken over; on a bad argument the data is released, as ownership passed. */
    private static ByteBuf checkArguments(int frag, SocksAddress address, ByteBuf data) {
        if (frag < 0 || frag > 0xFF || address == null) {
            data.release();
            Objects.requireNonNull(address, "address");
            throw new IllegalArgumentException("frag: " + frag + " (expected: 0-255)");
        }
        return data;
    }

    public int frag() {
        return frag;
    }

    public SocksAddress address() {
        return address;
    }

    @Override
    public Socks5UdpDatagram replace(ByteBuf content) {
        return new Socks5UdpDatagram(frag, address, content);
    }

    @Override
    public Socks5UdpDatagram retain() {
        super.retain();
        return this;
    }

    @Override
    public Socks5UdpDatagram retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public Socks5UdpDatagram touch() {
        super.touch();
        return this;
    }

    @Override
    public Socks5UdpDatagram touch(Object hint) {
        super.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return "Socks5UdpDatagram[frag=" + frag + ", address=" + address + ", data=" + content().readableBytes() + " bytes]";
    }
}
