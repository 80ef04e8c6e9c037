package dev.ferryproxy.codec.v5;

/** The RFC 1929 reply: {@code VER=1, STATUS}; STATUS 0 is success, anything else failure. */
public record Socks5PasswordAuthResponse(byte status) {
    public static final Socks5PasswordAuthResponse SUCCESS = new Socks5PasswordAuthResponse((byte) 0x00);
    public static final Socks5PasswordAuthResponse FAILURE = new Socks5PasswordAuthResponse((byte) 0x01);

    public boolean isSuccess() {
        return status == 0;
    }
}
