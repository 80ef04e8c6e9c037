package dev.ferryproxy.codec.v5;

import static dev.ferryproxy.codec.CodecTestSupport.buffer;
import static dev.ferryproxy.codec.CodecTestSupport.bytes;
import static dev.ferryproxy.codec.CodecTestSupport.concat;
import static dev.ferryproxy.codec.CodecTestSupport.filled;
import static dev.ferryproxy.codec.CodecTestSupport.hex;
import static dev.ferryproxy.codec.CodecTestSupport.latin1;
import static dev.ferryproxy.codec.CodecTestSupport.range;
import static dev.ferryproxy.codec.CodecTestSupport.readableBytesOf;
import static dev.ferryproxy.codec.SocksFrames.ATYP_DOMAIN;
import static dev.ferryproxy.codec.SocksFrames.ATYP_IPV4;
import static dev.ferryproxy.codec.SocksFrames.ATYP_IPV6;
import static dev.ferryproxy.codec.SocksFrames.udp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksAddressType;
import dev.ferryproxy.codec.SocksFrames;
import dev.ferryproxy.codec.SocksProtocolException;
import dev.ferryproxy.codec.UnsupportedAddressTypeException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Consumer;

class Socks5UdpDatagramCodecTest {
    private static final byte[] IPV6_DOC = bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53);
    private static final byte[] DNS_QUERY = bytes(0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0);

    private static final byte[] IPV4_PACKET = udp(0, ATYP_IPV4, bytes(8, 8, 8, 8), 53, DNS_QUERY);
    private static final byte[] IPV6_PACKET = udp(0, ATYP_IPV6, IPV6_DOC, 53, DNS_QUERY);
    private static final byte[] DOMAIN_PACKET = udp(0, ATYP_DOMAIN, concat(bytes(11), latin1("example.com")), 443,
            latin1("quic"));

    /** Decodes {@code packet}, hands the datagram to {@code check}, and releases everything. */
    private static void decoded(byte[] packet, Consumer<Socks5UdpDatagram> check) {
        ByteBuf buf = buffer(packet);
        try {
            Socks5UdpDatagram datagram = Socks5UdpDatagramCodec.decode(buf);
            try {
                check.accept(datagram);
            } finally {
                datagram.release();
            }
        } finally {
            buf.release();
        }
    }

    private static SocksProtocolException rejected(byte[] packet) {
        ByteBuf buf = buffer(packet);
        try {
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> Socks5UdpDatagramCodec.decode(buf));
            assertThat(thrown).as("decode(%s)", hex(packet)).isInstanceOf(SocksProtocolException.class);
            assertThat(buf.refCnt()).as("a rejected packet is not released by decode").isEqualTo(1);
            return (SocksProtocolException) thrown;
        } finally {
            buf.release();
        }
    }

    private static byte[] encodeHeader(int frag, SocksAddress address) {
        ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            Socks5UdpDatagramCodec.encodeHeader(frag, address, out);
            assertThat(out.readableBytes()).isEqualTo(Socks5UdpDatagramCodec.headerLength(address));
            return readableBytesOf(out);
        } finally {
            out.release();
        }
    }

    // ---- decode --------------------------------------------------------------------------------

    @Test
    void decodesIpv4Datagram() {
        decoded(IPV4_PACKET, d -> {
            assertThat(d.frag()).isZero();
            assertThat(d.address()).isEqualTo(SocksAddress.ipv4(bytes(8, 8, 8, 8), 53));
            assertThat(readableBytesOf(d.content())).isEqualTo(DNS_QUERY);
        });
    }

    @Test
    void decodesIpv6DatagramWith16AddressBytes() {
        decoded(IPV6_PACKET, d -> {
            assertThat(d.address().type()).isEqualTo(SocksAddressType.IPV6);
            assertThat(d.address().inetAddress().getAddress()).isEqualTo(IPV6_DOC);
            assertThat(d.address().port()).isEqualTo(53);
            assertThat(readableBytesOf(d.content())).isEqualTo(DNS_QUERY);
        });
    }

    @Test
    void ipv4MappedIpv6StaysIpv6() {
        byte[] mapped = concat(new byte[10], bytes(0xFF, 0xFF, 10, 0, 0, 1));
        decoded(udp(0, ATYP_IPV6, mapped, 5353, bytes(1)), d -> {
            assertThat(d.address().type()).isEqualTo(SocksAddressType.IPV6);
            assertThat(d.address().inetAddress().getAddress()).isEqualTo(mapped);
        });
    }

    @Test
    void decodesDomainDatagram() {
        decoded(DOMAIN_PACKET, d -> {
            assertThat(d.address()).isEqualTo(SocksAddress.domain("example.com", 443));
            assertThat(readableBytesOf(d.content())).isEqualTo(latin1("quic"));
        });
    }

    @Test
    void domainOfLength1And2And254And255IsSlicedExactly() {
        for (int length : new int[] {1, 2, 254, 255}) {
            byte[] name = filled(length, 'q');
            decoded(udp(0, ATYP_DOMAIN, concat(bytes(length), name), 0x7171, latin1("qq")), d -> {
                assertThat(d.address().host()).isEqualTo(latin1(name));
                assertThat(d.address().port()).isEqualTo(0x7171);
                assertThat(readableBytesOf(d.content())).isEqualTo(latin1("qq"));
            });
        }
    }

    @Test
    void port65535AndOtherEdgePorts() {
        for (int port : SocksFrames.EDGE_PORTS) {
            decoded(udp(0, ATYP_IPV4, bytes(1, 2, 3, 4), port, bytes(7)), d -> assertThat(d.address().port()).isEqualTo(port));
        }
    }

    @Test
    void fragIsReportedForTheRelayToDrop() {
        for (int frag : new int[] {1, 0x7F, 0x80, 0xFF}) {
            decoded(udp(frag, ATYP_IPV4, bytes(1, 2, 3, 4), 9, bytes(1, 2)), d -> assertThat(d.frag()).isEqualTo(frag));
        }
    }

    @Test
    void emptyDataIsAValidDatagram() {
        decoded(udp(0, ATYP_IPV4, bytes(1, 2, 3, 4), 9, new byte[0]), d -> assertThat(d.content().readableBytes()).isZero());
    }

    @Test
    void dataIsARetainedSliceAndThePacketIsNeitherReleasedNorMoved() {
        ByteBuf packet = buffer(IPV4_PACKET);
        try {
            Socks5UdpDatagram datagram = Socks5UdpDatagramCodec.decode(packet);
            try {
                assertThat(packet.readerIndex()).isZero();
                assertThat(packet.refCnt()).as("the data slice holds a reference").isEqualTo(2);
                // a view, not a copy
                packet.setByte(IPV4_PACKET.length - 1, 0x77);
                assertThat(datagram.content().getByte(datagram.content().readerIndex() + DNS_QUERY.length - 1))
                        .isEqualTo((byte) 0x77);
            } finally {
                datagram.release();
            }
            assertThat(packet.refCnt()).isEqualTo(1);
        } finally {
            packet.release();
        }
    }

    @Test
    void decodesFromTheReaderIndex() {
        ByteBuf packet = buffer(concat(bytes(0xAA, 0xBB, 0xCC), IPV6_PACKET));
        try {
            packet.skipBytes(3);
            Socks5UdpDatagram datagram = Socks5UdpDatagramCodec.decode(packet);
            try {
                assertThat(datagram.address().inetAddress().getAddress()).isEqualTo(IPV6_DOC);
                assertThat(readableBytesOf(datagram.content())).isEqualTo(DNS_QUERY);
            } finally {
                datagram.release();
            }
        } finally {
            packet.release();
        }
    }

    @Test
    void nonZeroRsvIsNotChecked() {
        byte[] packet = IPV4_PACKET.clone();
        packet[0] = 1;
        packet[1] = (byte) 0xFF;
        decoded(packet, d -> assertThat(d.address().port()).isEqualTo(53));
    }

    // ---- malformed -----------------------------------------------------------------------------

    @Test
    void everyTruncatedHeaderIsRejected() {
        for (byte[] packet : List.of(IPV4_PACKET, IPV6_PACKET, DOMAIN_PACKET)) {
            int headerLength = packet.length - (packet == DOMAIN_PACKET ? 4 : DNS_QUERY.length);
            for (int length = 0; length < headerLength; length++) {
                SocksProtocolException e = rejected(range(packet, 0, length));
                assertThat(e).as("%d bytes of %s", length, hex(packet)).isNotNull();
            }
        }
    }

    @Test
    void ipv6AddressReadAsEightBytesWouldBeTruncated() {
        // 8 address bytes, a port and 2 data bytes: 4 + 8 + 2 + 2 = 16 < 4 + 16 + 2
        rejected(concat(bytes(0, 0, 0, ATYP_IPV6), range(IPV6_DOC, 0, 8), bytes(0, 53), bytes(1, 2)));
    }

    @Test
    void unknownAddressTypeIsRejected() {
        for (int atyp : new int[] {0x00, 0x02, 0x05, 0xFF}) {
            SocksProtocolException e = rejected(udp(0, atyp, bytes(1, 2, 3, 4), 53, DNS_QUERY));
            assertThat(e).isInstanceOf(UnsupportedAddressTypeException.class);
        }
    }

    @Test
    void domainOfLength0IsRejected() {
        rejected(udp(0, ATYP_DOMAIN, bytes(0), 53, DNS_QUERY));
    }

    // ---- encode --------------------------------------------------------------------------------

    @Test
    void encodeHeaderExactBytes() {
        assertThat(encodeHeader(0, SocksAddress.ipv4(bytes(8, 8, 4, 4), 53)))
                .isEqualTo(bytes(0, 0, 0, 1, 8, 8, 4, 4, 0, 53));
        assertThat(encodeHeader(0, SocksAddress.ipv6(IPV6_DOC, 65535)))
                .isEqualTo(concat(bytes(0, 0, 0, 4), IPV6_DOC, bytes(0xFF, 0xFF)));
        assertThat(encodeHeader(5, SocksAddress.domain("a.b", 0x8000)))
                .isEqualTo(concat(bytes(0, 0, 5, 3, 3), latin1("a.b"), bytes(0x80, 0)));
        byte[] mapped = concat(new byte[10], bytes(0xFF, 0xFF, 1, 2, 3, 4));
        assertThat(encodeHeader(0, SocksAddress.ipv6(mapped, 1)))
                .as("IPv4-mapped stays 16 bytes, ATYP 4").isEqualTo(concat(bytes(0, 0, 0, 4), mapped, bytes(0, 1)));
    }

    @Test
    void headerLengths() {
        assertThat(Socks5UdpDatagramCodec.headerLength(SocksAddress.ipv4(bytes(1, 2, 3, 4), 1))).isEqualTo(10);
        assertThat(Socks5UdpDatagramCodec.headerLength(SocksAddress.ipv6(IPV6_DOC, 1))).isEqualTo(22);
        assertThat(Socks5UdpDatagramCodec.headerLength(SocksAddress.domain(latin1(filled(255, 'x')), 1)))
                .isEqualTo(3 + 1 + 1 + 255 + 2);
    }

    @Test
    void encodeIsHeaderPlusDataAndTakesOverTheDatagramsReference() {
        ByteBuf data = buffer(DNS_QUERY);
        Socks5UdpDatagram datagram = new Socks5UdpDatagram(0, SocksAddress.ipv6(IPV6_DOC, 53), data);
        ByteBuf packet = Socks5UdpDatagramCodec.encode(ByteBufAllocator.DEFAULT, datagram);
        try {
            assertThat(packet).isInstanceOf(CompositeByteBuf.class);
            assertThat(readableBytesOf(packet)).isEqualTo(IPV6_PACKET);
            assertThat(data.refCnt()).as("the data is a component, not a copy").isEqualTo(1);
        } finally {
            packet.release();
        }
        assertThat(data.refCnt()).as("released with the packet").isZero();
    }

    @Test
    void encodeThenDecodeRoundTrips() {
        List<SocksAddress> addresses = List.of(SocksAddress.ipv4(bytes(192, 0, 2, 1), 0), SocksAddress.ipv6(IPV6_DOC, 65535),
                SocksAddress.domain(latin1(bytes(0x80, 0xFF, 'a')), 1), SocksAddress.domain(latin1(filled(255, 'z')), 256));
        for (SocksAddress address : addresses) {
            for (int frag : new int[] {0, 1, 255}) {
                ByteBuf packet = Socks5UdpDatagramCodec.encode(ByteBufAllocator.DEFAULT,
                        new Socks5UdpDatagram(frag, address, buffer(bytes(1, 2, 3))));
                try {
                    Socks5UdpDatagram back = Socks5UdpDatagramCodec.decode(packet);
                    try {
                        assertThat(back.frag()).isEqualTo(frag);
                        assertThat(back.address()).isEqualTo(address);
                        assertThat(readableBytesOf(back.content())).isEqualTo(bytes(1, 2, 3));
                    } finally {
                        back.release();
                    }
                } finally {
                    packet.release();
                }
            }
        }
    }

    @Test
    void datagramRejectsFragOutOfRangeAndReleasesTheDataItWasGiven() {
        for (int frag : new int[] {256, -1}) {
            ByteBuf data = buffer(bytes(1));
            assertThatThrownBy(() -> new Socks5UdpDatagram(frag, SocksAddress.unspecifiedIpv4(), data))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(data.refCnt()).as("ownership passed even though construction failed").isZero();
        }
    }

    @Test
    void datagramRejectsMissingAddressAndReleasesTheData() {
        ByteBuf data = buffer(bytes(1));
        assertThatThrownBy(() -> new Socks5UdpDatagram(0, null, data)).isInstanceOf(NullPointerException.class);
        assertThat(data.refCnt()).isZero();
    }

    @Test
    void retainChainsAsADatagram() {
        Socks5UdpDatagram datagram = new Socks5UdpDatagram(0, SocksAddress.unspecifiedIpv4(), buffer(bytes(1)));
        Socks5UdpDatagram same = datagram.retain().touch("chained");
        assertThat(same).isSameAs(datagram);
        assertThat(datagram.refCnt()).isEqualTo(2);
        datagram.release(2);
    }
}
