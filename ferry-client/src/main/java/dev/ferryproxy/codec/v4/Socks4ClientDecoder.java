package dev.ferryproxy.codec.v4;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksFrameDecoder;
import dev.ferryproxy.codec.SocksProtocolException;
import io.netty.buffer.ByteBuf;

/**
 * Decodes one SOCKS4 reply, always 8 bytes: {@code VN=0, CD, DSTPORT(2), DSTIP(4)}, into a
 * {@link Socks4CommandResponse}.
 *
 * <p>The reply version is 0, not 4; any other VN, and a CD that SOCKS4 does not define (90..93),
 * are malformed. A BIND reply with DSTIP 0.0.0.0 means "the proxy's own address"; that is for the
 * caller to interpret.
 */
public final class Socks4ClientDecoder extends SocksFrameDecoder {
    /** The length of every SOCKS4 reply. */
    public static final int REPLY_LENGTH = 8;

    @Override
    protected Object decodeFrame(ByteBuf in) {
        int start = in.readerIndex();
        int readable = in.readableBytes();
        if (readable >= 1 && in.getByte(start) != 0) {
            throw new SocksProtocolException(
                    String.format("version 0x%02x in a SOCKS4 reply (expected: 0x00)", in.getByte(start) & 0xFF));
        }
        if (readable < 2) {
            return null;
        }
        byte cd = in.getByte(start + 1);
        Socks4CommandStatus status = Socks4CommandStatus.valueOf(cd);
        if (status == null) {
            throw new SocksProtocolException("unknown SOCKS4 reply code " + (cd & 0xFF) + " (expected: 90-93)");
        }
        if (readable < REPLY_LENGTH) {
            return null;
        }
        byte[] ip = new byte[4];
        in.getBytes(start + 4, ip);
        Socks4CommandResponse response = new Socks4CommandResponse(status,
                SocksAddress.ipv4(ip, in.getUnsignedShort(start + 2)));
        in.skipBytes(REPLY_LENGTH);
        return response;
    }
}
