package dev.ferryproxy.codec;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * Reads and writes the SOCKS5 address block {@code ATYP, ADDR, PORT} shared by requests,
 * replies and UDP datagram headers.
 */
public final class SocksAddressCodec {
    /** Returned by {@link #addressFieldLength} when the bytes that give the length have not arrived. */
    public static final int NEED_MORE = -1;

    private SocksAddressCodec() {
    }

    /**
     * The length of the ADDR field at {@code index} for address type {@code atyp}: 4, 16, or one
     * length byte plus the name.
     *
     * @return the length, or {@link #NEED_MORE} when the domain length byte is not readable yet
     * @throws UnsupportedAddressTypeException when {@code atyp} is no known type
     * @throws SocksProtocolException when a domain name has length 0
     */
    public static int addressFieldLength(ByteBuf buf, int index, byte atyp) {
        SocksAddressType type = SocksAddressType.valueOf(atyp);
        if (type == null) {
            throw new UnsupportedAddressTypeException(atyp);
        }
        switch (type) {
            case IPV4:
                return 4;
            case IPV6:
                return 16;
            default:
                if (buf.writerIndex() <= index) {
                    return NEED_MORE;
                }
                int nameLength = buf.getUnsignedByte(index);
                if (nameLength == 0) {
                    throw new SocksProtocolException("domain name of length 0");
                }
                return 1 + nameLength;
        }
    }

    /**
     * Reads ADDR and PORT at {@code index}, which must all be readable (see {@link #addressFieldLength}).
     * Does not move the reader index.
     */
    public static SocksAddress read(ByteBuf buf, int index, SocksAddressType type) {
        switch (type) {
            case IPV4: {
                byte[] ip = new byte[4];
                buf.getBytes(index, ip);
                return SocksAddress.ipv4(ip, buf.getUnsignedShort(index + 4));
            }
            case IPV6: {
                byte[] ip = new byte[16];
                buf.getBytes(index, ip);
                return SocksAddress.ipv6(ip, buf.getUnsignedShort(index + 16));
            }
            default: {
                int nameLength = buf.getUnsignedByte(index);
                String name = buf.toString(index + 1, nameLength, StandardCharsets.ISO_8859_1);
                return SocksAddress.domain(name, buf.getUnsignedShort(index + 1 + nameLength));
            }
        }
    }

    /** Writes ATYP, ADDR and PORT. */
    public static void write(SocksAddress address, ByteBuf out) {
        out.writeByte(address.type().byteValue());
        switch (address.type()) {
            case IPV4:
            case IPV6:
                out.writeBytes(address.inetAddress().getAddress());
                break;
            default:
                out.writeByte(address.host().length());
                out.writeCharSequence(address.host(), StandardCharsets.ISO_8859_1);
                break;
        }
        out.writeShort(address.port());
    }

    /** The bytes {@link #write} produces: ATYP, ADDR and PORT. */
    public static int encodedLength(SocksAddress address) {
        switch (address.type()) {
            case IPV4:
                return 1 + 4 + 2;
            case IPV6:
                return 1 + 16 + 2;
            default:
                return 1 + 1 + address.host().length() + 2;
        }
    }
}
