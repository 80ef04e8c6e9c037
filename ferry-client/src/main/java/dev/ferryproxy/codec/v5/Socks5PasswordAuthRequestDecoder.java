package dev.ferryproxy.codec.v5;

import dev.ferryproxy.codec.SocksFrameDecoder;
import dev.ferryproxy.codec.SocksProtocolException;
import io.netty.buffer.ByteBuf;

/**
 * Decodes an RFC 1929 request {@code VER=1, ULEN, UNAME, PLEN, PASSWD}. Lengths are unsigned bytes
 * and must be 1..255; a wrong version or an empty field is answered with STATUS 0x01.
 */
public final class Socks5PasswordAuthRequestDecoder extends SocksFrameDecoder {
    @Override
    protected Object decodeFrame(ByteBuf in) {
        int start = in.readerIndex();
        int readable = in.readableBytes();
        if (readable >= 1 && in.getByte(start) != 1) {
            throw failure(String.format("version 0x%02x in a username/password request", in.getByte(start) & 0xFF));
        }
        if (readable < 2) {
            return null;
        }
        int usernameLength = in.getUnsignedByte(start + 1);
        if (usernameLength == 0) {
            throw failure("empty username (ULEN 0)");
        }
        int passwordLengthIndex = start + 2 + usernameLength;
        if (in.writerIndex() <= passwordLengthIndex) {
            return null;
        }
        int passwordLength = in.getUnsignedByte(passwordLengthIndex);
        if (passwordLength == 0) {
            throw failure("empty password (PLEN 0)");
        }
        int frameLength = 2 + usernameLength + 1 + passwordLength;
        if (readable < frameLength) {
            return null;
        }
        byte[] username = new byte[usernameLength];
        byte[] password = new byte[passwordLength];
        in.getBytes(start + 2, username);
        in.getBytes(passwordLengthIndex + 1, password);
        in.skipBytes(frameLength);
        return Socks5PasswordAuthRequest.ofOwned(username, password);
    }

    private static SocksProtocolException failure(String reason) {
        return new SocksProtocolException(reason, Socks5PasswordAuthResponse.FAILURE);
    }
}
