package dev.ferryproxy.codec;

import static dev.ferryproxy.codec.CodecTestSupport.bytes;
import static dev.ferryproxy.codec.CodecTestSupport.concat;
import static dev.ferryproxy.codec.CodecTestSupport.filled;
import static dev.ferryproxy.codec.CodecTestSupport.latin1;
import static dev.ferryproxy.codec.CodecTestSupport.readableBytesOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.NetUtil;
import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

class SocksAddressTest {
    private static final byte[] IPV6_DOC = bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
    private static final byte[] V4_MAPPED = concat(new byte[10], bytes(0xFF, 0xFF, 203, 0, 113, 5));

    private static byte[] write(SocksAddress address) {
        ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            SocksAddressCodec.write(address, out);
            assertThat(out.readableBytes()).isEqualTo(SocksAddressCodec.encodedLength(address));
            return readableBytesOf(out);
        } finally {
            out.release();
        }
    }

    private static SocksAddress read(byte[] block, int offset) {
        ByteBuf in = CodecTestSupport.buffer(block);
        try {
            byte atyp = in.getByte(offset);
            int length = SocksAddressCodec.addressFieldLength(in, offset + 1, atyp);
            assertThat(offset + 1 + length + 2).isLessThanOrEqualTo(block.length);
            SocksAddress address = SocksAddressCodec.read(in, offset + 1, SocksAddressType.valueOf(atyp));
            assertThat(in.readerIndex()).as("read does not move the reader index").isZero();
            return address;
        } finally {
            in.release();
        }
    }

    // ---- factories -----------------------------------------------------------------------------

    @Test
    void ipv4() {
        SocksAddress a = SocksAddress.ipv4(bytes(192, 0, 2, 255), 65535);
        assertThat(a.type()).isEqualTo(SocksAddressType.IPV4);
        assertThat(a.host()).isEqualTo("192.0.2.255");
        assertThat(a.port()).isEqualTo(65535);
        assertThat(a.isDomain()).isFalse();
        assertThat(a.inetAddress()).isInstanceOf(Inet4Address.class);
        assertThat(a.toString()).isEqualTo("192.0.2.255:65535");
    }

    @Test
    void ipv6() {
        SocksAddress a = SocksAddress.ipv6(IPV6_DOC, 443);
        assertThat(a.type()).isEqualTo(SocksAddressType.IPV6);
        assertThat(a.host()).isEqualTo("2001:db8::1");
        assertThat(a.inetAddress().getAddress()).isEqualTo(IPV6_DOC);
        assertThat(a.toString()).isEqualTo("[2001:db8::1]:443");
    }

    @Test
    void ipv6Loopback() {
        SocksAddress a = SocksAddress.ipv6(concat(new byte[15], bytes(1)), 1);
        assertThat(a.host()).isEqualTo("::1");
        assertThat(a.inetAddress().isLoopbackAddress()).isTrue();
    }

    @Test
    void ipv4MappedIpv6StaysIpv6() {
        SocksAddress a = SocksAddress.ipv6(V4_MAPPED, 80);
        assertThat(a.type()).isEqualTo(SocksAddressType.IPV6);
        assertThat(a.inetAddress()).isInstanceOf(Inet6Address.class);
        assertThat(a.inetAddress().getAddress()).hasSize(16).isEqualTo(V4_MAPPED);
        assertThat(NetUtil.createByteArrayFromIpAddressString(a.host())).isEqualTo(V4_MAPPED);
        assertThat(a).isNotEqualTo(SocksAddress.ipv4(bytes(203, 0, 113, 5), 80));
        assertThat(write(a)).isEqualTo(concat(bytes(4), V4_MAPPED, bytes(0, 80)));
    }

    @Test
    void wrongAddressLengthsAreRefused() {
        assertThatThrownBy(() -> SocksAddress.ipv4(new byte[3], 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SocksAddress.ipv4(new byte[16], 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SocksAddress.ipv6(new byte[8], 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SocksAddress.ipv6(new byte[4], 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void factoriesCopyTheirBytes() {
        byte[] ip = bytes(1, 2, 3, 4);
        SocksAddress a = SocksAddress.ipv4(ip, 1);
        ip[0] = 9;
        assertThat(a.inetAddress().getAddress()).isEqualTo(bytes(1, 2, 3, 4));
    }

    @Test
    void portRange() {
        assertThat(SocksAddress.ipv4(new byte[4], 0).port()).isZero();
        assertThat(SocksAddress.domain("h", 65535).port()).isEqualTo(65535);
        assertThatThrownBy(() -> SocksAddress.ipv4(new byte[4], -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SocksAddress.domain("h", 65536)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void domainLengthLimits() {
        assertThat(SocksAddress.domain("a", 1).host()).isEqualTo("a");
        String max = latin1(filled(255, 'x'));
        assertThat(SocksAddress.domain(max, 1).host()).hasSize(255);
        assertThatThrownBy(() -> SocksAddress.domain("", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SocksAddress.domain(max + "x", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SocksAddress.domain("caf\u00e9\u0100", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(SocksAddress.domain("caf\u00e9", 1).host()).isEqualTo("caf\u00e9");
    }

    @Test
    void domainHasNoAddressUntilResolved() {
        SocksAddress a = SocksAddress.domain("example.com", 80);
        assertThat(a.isDomain()).isTrue();
        assertThatThrownBy(a::inetAddress).isInstanceOf(IllegalStateException.class);
        assertThat(a.toString()).isEqualTo("example.com:80");
    }

    @Test
    void printableHostEscapesControlAndNonAsciiBytes() {
        assertThat(SocksAddress.domain("example.com", 1).printableHost()).isEqualTo("example.com");
        assertThat(SocksAddress.domain("a b\n\\\u00ff", 1).printableHost()).isEqualTo("a\\x20b\\x0a\\x5c\\xff");
        assertThat(SocksAddress.domain("evil\r\nX-Forged: 1", 2).toString()).doesNotContain("\r", "\n");
        assertThat(SocksAddress.ipv6(IPV6_DOC, 1).printableHost()).isEqualTo("2001:db8::1");
    }

    @Test
    void equalityIsTypeHostAndPort() {
        assertThat(SocksAddress.ipv4(bytes(1, 2, 3, 4), 5)).isEqualTo(SocksAddress.ipv4(bytes(1, 2, 3, 4), 5))
                .hasSameHashCodeAs(SocksAddress.ipv4(bytes(1, 2, 3, 4), 5));
        assertThat(SocksAddress.ipv4(bytes(1, 2, 3, 4), 5)).isNotEqualTo(SocksAddress.ipv4(bytes(1, 2, 3, 4), 6));
        assertThat(SocksAddress.ipv4(bytes(1, 2, 3, 4), 5)).isNotEqualTo(SocksAddress.domain("1.2.3.4", 5));
        assertThat(SocksAddress.domain("A", 5)).isNotEqualTo(SocksAddress.domain("a", 5));
    }

    @Test
    void ofSocketAddress() throws Exception {
        assertThat(SocksAddress.of(new InetSocketAddress(InetAddress.getByAddress(bytes(10, 0, 0, 1)), 1080)))
                .isEqualTo(SocksAddress.ipv4(bytes(10, 0, 0, 1), 1080));
        assertThat(SocksAddress.of(new InetSocketAddress(InetAddress.getByAddress(IPV6_DOC), 1)))
                .isEqualTo(SocksAddress.ipv6(IPV6_DOC, 1));
        assertThat(SocksAddress.of(InetSocketAddress.createUnresolved("example.org", 8080)))
                .isEqualTo(SocksAddress.domain("example.org", 8080));
        // the JDK itself turns an IPv4-mapped InetAddress into an Inet4Address
        assertThat(SocksAddress.of(new InetSocketAddress(InetAddress.getByAddress(V4_MAPPED), 1)).type())
                .isEqualTo(SocksAddressType.IPV4);
    }

    @Test
    void ofScopedIpv6DropsTheScope() throws Exception {
        byte[] linkLocal = concat(bytes(0xfe, 0x80), new byte[13], bytes(1));
        InetAddress scoped = Inet6Address.getByAddress(null, linkLocal, 3);
        SocksAddress a = SocksAddress.of(new InetSocketAddress(scoped, 9));
        assertThat(a.type()).isEqualTo(SocksAddressType.IPV6);
        assertThat(a.host()).isEqualTo("fe80::1");
        assertThat(write(a)).hasSize(19);
    }

    @Test
    void unspecifiedIpv4() {
        assertThat(SocksAddress.unspecifiedIpv4()).isEqualTo(SocksAddress.ipv4(new byte[4], 0));
        assertThat(SocksAddress.unspecifiedIpv4().host()).isEqualTo("0.0.0.0");
    }

    // ---- the address block ---------------------------------------------------------------------

    @Test
    void addressTypeBytes() {
        assertThat(SocksAddressType.IPV4.byteValue()).isEqualTo((byte) 1);
        assertThat(SocksAddressType.DOMAIN.byteValue()).isEqualTo((byte) 3);
        assertThat(SocksAddressType.IPV6.byteValue()).isEqualTo((byte) 4);
        for (int b = 0; b < 256; b++) {
            SocksAddressType type = SocksAddressType.valueOf((byte) b);
            assertThat(type != null).as("ATYP 0x%02x", b).isEqualTo(b == 1 || b == 3 || b == 4);
        }
    }

    @Test
    void writesEachTypeExactly() {
        assertThat(write(SocksAddress.ipv4(bytes(1, 2, 3, 4), 0xFFFF))).isEqualTo(bytes(1, 1, 2, 3, 4, 0xFF, 0xFF));
        assertThat(write(SocksAddress.ipv6(IPV6_DOC, 0x8000))).isEqualTo(concat(bytes(4), IPV6_DOC, bytes(0x80, 0)));
        assertThat(write(SocksAddress.domain("ab", 256))).isEqualTo(bytes(3, 2, 'a', 'b', 1, 0));
        assertThat(write(SocksAddress.domain(latin1(filled(255, 'n')), 1)))
                .isEqualTo(concat(bytes(3, 255), filled(255, 'n'), bytes(0, 1)));
    }

    @Test
    void readsWhatItWritesAtAnyOffset() {
        List<SocksAddress> addresses = List.of(SocksAddress.ipv4(bytes(255, 255, 255, 255), 0),
                SocksAddress.ipv6(IPV6_DOC, 65535), SocksAddress.ipv6(V4_MAPPED, 1),
                SocksAddress.domain("x", 2), SocksAddress.domain(latin1(bytes(0, 0x80, 0xFF)), 3),
                SocksAddress.domain(latin1(filled(254, 'y')), 4), SocksAddress.domain(latin1(filled(255, 'z')), 5));
        for (SocksAddress address : addresses) {
            byte[] block = write(address);
            assertThat(read(block, 0)).isEqualTo(address);
            assertThat(read(concat(bytes(9, 9, 9), block, bytes(7)), 3)).isEqualTo(address);
        }
    }

    @Test
    void addressFieldLength() {
        ByteBuf buf = CodecTestSupport.buffer(bytes(7, 0));
        try {
            assertThat(SocksAddressCodec.addressFieldLength(buf, 0, (byte) 1)).isEqualTo(4);
            assertThat(SocksAddressCodec.addressFieldLength(buf, 0, (byte) 4)).isEqualTo(16);
            assertThat(SocksAddressCodec.addressFieldLength(buf, 0, (byte) 3)).isEqualTo(8);
            assertThat(SocksAddressCodec.addressFieldLength(buf, 2, (byte) 3)).isEqualTo(SocksAddressCodec.NEED_MORE);
            assertThatThrownBy(() -> SocksAddressCodec.addressFieldLength(buf, 1, (byte) 3))
                    .isInstanceOf(SocksProtocolException.class)
                    .isNotInstanceOf(UnsupportedAddressTypeException.class);
            for (int atyp : new int[] {0, 2, 5, 0xFF}) {
                assertThatThrownBy(() -> SocksAddressCodec.addressFieldLength(buf, 0, (byte) atyp))
                        .isInstanceOf(UnsupportedAddressTypeException.class);
            }
        } finally {
            buf.release();
        }
    }

    @Test
    void domainLengthByteIsUnsigned() {
        ByteBuf buf = CodecTestSupport.buffer(bytes(0xFF));
        try {
            assertThat(SocksAddressCodec.addressFieldLength(buf, 0, (byte) 3)).isEqualTo(256);
        } finally {
            buf.release();
        }
    }

    @Test
    void versionBytes() {
        assertThat(SocksVersion.fromFirstByte((byte) 4)).isEqualTo(SocksVersion.SOCKS4);
        assertThat(SocksVersion.fromFirstByte((byte) 5)).isEqualTo(SocksVersion.SOCKS5);
        assertThat(SocksVersion.fromFirstByte((byte) 0x16)).isNull();
        assertThat(SocksVersion.fromFirstByte((byte) 'G')).isNull();
    }
}
