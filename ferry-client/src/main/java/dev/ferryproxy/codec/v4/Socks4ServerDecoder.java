package dev.ferryproxy.codec.v4;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksFrameDecoder;
import dev.ferryproxy.codec.SocksProtocolException;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * Decodes one SOCKS4 or SOCKS4a request:
 * {@code VN=4, CD, DSTPORT(2), DSTIP(4), USERID, NUL} and, when DSTIP is 0.0.0.x with x != 0,
 * {@code HOSTNAME, NUL}.
 *
 * <p>USERID and HOSTNAME are capped at 255 bytes each; a longer field, an empty host name, an
 * unknown version or command fail with reply 91.
 */
public final class Socks4ServerDecoder extends SocksFrameDecoder {
    /** The longest USERID accepted, in bytes. */
    public static final int MAX_USERID_LENGTH = 255;
    /** The longest SOCKS4a host name accepted, in bytes. */
    public static final int MAX_HOSTNAME_LENGTH = SocksAddress.MAX_DOMAIN_LENGTH;

    private static final int FIXED_PART = 8;

    @Override
    protected Object decodeFrame(ByteBuf in) {
        int start = in.readerIndex();
        int readable = in.readableBytes();
        if (readable >= 1 && in.getByte(start) != 4) {
            throw failure(String.format("version 0x%02x in a SOCKS4 request", in.getByte(start) & 0xFF));
        }
        if (readable < 2) {
            return null;
        }
        Socks4CommandType type = Socks4CommandType.valueOf(in.getByte(start + 1));
        if (type == null) {
            throw failure(String.format("unknown SOCKS4 command 0x%02x", in.getByte(start + 1) & 0xFF));
        }
        if (readable < FIXED_PART) {
            return null;
        }
        int userIdStart = start + FIXED_PART;
        int userIdLength = nulTerminatedLength(in, userIdStart, MAX_USERID_LENGTH, "USERID");
        if (userIdLength < 0) {
            return null;
        }
        int port = in.getUnsignedShort(start + 2);
        int frameEnd = userIdStart + userIdLength + 1;
        SocksAddress dst;
        if (isSocks4aMarker(in, start + 4)) {
            int hostLength = nulTerminatedLength(in, frameEnd, MAX_HOSTNAME_LENGTH, "SOCKS4a host name");
            if (hostLength < 0) {
                return null;
            }
            if (hostLength == 0) {
                throw failure("empty SOCKS4a host name");
            }
            dst = SocksAddress.domain(in.toString(frameEnd, hostLength, StandardCharsets.ISO_8859_1), port);
            frameEnd += hostLength + 1;
        } else {
            byte[] ip = new byte[4];
            in.getBytes(start + 4, ip);
            dst = SocksAddress.ipv4(ip, port);
        }
        String userId = in.toString(userIdStart, userIdLength, StandardCharsets.ISO_8859_1);
        in.readerIndex(frameEnd);
        return new Socks4CommandRequest(type, dst, userId);
    }

    /** SOCKS4a: DSTIP 0.0.0.x with x != 0 says a host name follows USERID. */
    private static boolean isSocks4aMarker(ByteBuf in, int ipIndex) {
        return in.getByte(ipIndex) == 0 && in.getByte(ipIndex + 1) == 0 && in.getByte(ipIndex + 2) == 0
                && in.getByte(ipIndex + 3) != 0;
    }

    /**
     * The length of the NUL-terminated field at {@code index}, or -1 when its NUL has not arrived.
     *
     * @throws SocksProtocolException when more than {@code maxLength} bytes precede the NUL
     */
    private static int nulTerminatedLength(ByteBuf in, int index, int maxLength, String field) {
        int available = in.writerIndex() - index;
        if (available <= 0) {
            return -1;
        }
        int length = in.bytesBefore(index, Math.min(available, maxLength + 1), (byte) 0);
        if (length >= 0) {
            return length;
        }
        if (available > maxLength) {
            throw failure(field + " longer than " + maxLength + " bytes");
        }
        return -1;
    }

    private static SocksProtocolException failure(String reason) {
        return new SocksProtocolException(reason, Socks4CommandResponse.rejected());
    }
}
