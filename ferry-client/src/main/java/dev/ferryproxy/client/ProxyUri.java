package dev.ferryproxy.client;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.v5.Socks5PasswordAuthRequest;
import io.netty.util.NetUtil;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One proxy to go through: {@code socks4://}, {@code socks4a://}, {@code socks5://} or
 * {@code socks5h://[user[:password]@]host[:port]}.
 *
 * <p>The port defaults to 1080. An IPv6 host is written in brackets ({@code socks5://[::1]:1080});
 * {@link #host()} holds it without them. User and password are percent-decoded as UTF-8, and each
 * must be 1..255 bytes, which is what RFC 1929 can carry. Only SOCKS5 (socks5, socks5h) can carry
 * credentials, and a user needs a password. A trailing {@code /} is accepted; any other path, a
 * query or a fragment is refused.
 *
 * @param protocol how to speak to the proxy
 * @param host the proxy's IP literal or host name, without brackets
 * @param port 1..65535
 * @param username the RFC 1929 user name, or {@code null}
 * @param password the RFC 1929 password, or {@code null}; present exactly when {@code username} is
 */
public record ProxyUri(SocksProtocol protocol, String host, int port, String username, String password) {
    /** The port a proxy URI without one names. */
    public static final int DEFAULT_PORT = 1080;

    /** Checks the parts: a host, a port in 1..65535, credentials only for SOCKS5 and at most 255 bytes each. */
    public ProxyUri {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) {
            throw new IllegalArgumentException("proxy host: empty");
        }
        if (host.indexOf(':') >= 0 && !NetUtil.isValidIpV6Address(host)) {
            throw new IllegalArgumentException("proxy host: '" + host + "' is neither a host name nor an IP address");
        }
        if (port < 1 || port > SocksAddress.MAX_PORT) {
            throw new IllegalArgumentException("proxy port: " + port + " (expected: 1-" + SocksAddress.MAX_PORT + ")");
        }
        if ((username == null) != (password == null)) {
            throw new IllegalArgumentException(username == null
                    ? "a password without a user name"
                    : "user name '" + username + "' without a password (RFC 1929 needs both)");
        }
        if (username != null) {
            if (!protocol.carriesCredentials()) {
                throw new IllegalArgumentException(protocol.scheme()
                        + " cannot carry a user name and password (only socks5 and socks5h can)");
            }
            checkCredentialField("user name", username);
            checkCredentialField("password", password);
        }
    }

    /** A proxy without credentials. */
    public static ProxyUri of(SocksProtocol protocol, String host, int port) {
        return new ProxyUri(protocol, host, port, null, null);
    }

    /**
     * Parses a proxy URI.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static ProxyUri parse(String uri) {
        Objects.requireNonNull(uri, "uri");
        int schemeEnd = uri.indexOf("://");
        if (schemeEnd <= 0) {
            throw new IllegalArgumentException("proxy URI '" + redact(uri)
                    + "': expected scheme://host[:port], with scheme socks4, socks4a, socks5 or socks5h");
        }
        SocksProtocol protocol;
        try {
            protocol = SocksProtocol.fromScheme(uri.substring(0, schemeEnd));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("proxy URI '" + redact(uri) + "': " + e.getMessage());
        }
        String rest = uri.substring(schemeEnd + 3);
        if (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        for (char c : new char[] {'/', '?', '#'}) {
            if (rest.indexOf(c) >= 0) {
                throw new IllegalArgumentException("proxy URI '" + redact(uri) + "': a path, query or fragment ('"
                        + c + "') is not allowed");
            }
        }
        String username = null;
        String password = null;
        int at = rest.lastIndexOf('@');
        try {
            if (at >= 0) {
                String userInfo = rest.substring(0, at);
                rest = rest.substring(at + 1);
                int colon = userInfo.indexOf(':');
                if (colon < 0) {
                    username = percentDecode(userInfo, "user name");
                } else {
                    username = percentDecode(userInfo.substring(0, colon), "user name");
                    password = percentDecode(userInfo.substring(colon + 1), "password");
                }
            }
            String host;
            int port = DEFAULT_PORT;
            if (rest.startsWith("[")) {
                int close = rest.indexOf(']');
                if (close < 0) {
                    throw new IllegalArgumentException("'[' without ']' around the IPv6 host");
                }
                host = rest.substring(1, close);
                if (!NetUtil.isValidIpV6Address(host)) {
                    throw new IllegalArgumentException("'" + host + "' in brackets is not an IPv6 address");
                }
                String after = rest.substring(close + 1);
                if (!after.isEmpty()) {
                    if (!after.startsWith(":")) {
                        throw new IllegalArgumentException("unexpected '" + after + "' after the IPv6 host");
                    }
                    port = parsePort(after.substring(1));
                }
            } else {
                int colon = rest.indexOf(':');
                if (colon >= 0 && rest.indexOf(':', colon + 1) >= 0) {
                    throw new IllegalArgumentException("an IPv6 host must be written in brackets, e.g. [::1]:1080");
                }
                host = colon < 0 ? rest : rest.substring(0, colon);
                if (colon >= 0) {
                    port = parsePort(rest.substring(colon + 1));
                }
            }
            if (host.isEmpty()) {
                throw new IllegalArgumentException("no host");
            }
            if (username != null && password == null) {
                throw new IllegalArgumentException("user name without a password (write user:password@)");
            }
            return new ProxyUri(protocol, host, port, username, password);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("proxy URI '" + redact(uri) + "': " + e.getMessage());
        }
    }

    /** This proxy with a user name and password (RFC 1929), replacing any it had. */
    public ProxyUri withCredentials(String username, String password) {
        return new ProxyUri(protocol, host, port, Objects.requireNonNull(username, "username"),
                Objects.requireNonNull(password, "password"));
    }

    /** The proxy's address, unresolved (no DNS is asked). */
    public InetSocketAddress address() {
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** The proxy as a destination for the hop before it in a chain. */
    public SocksTarget target() {
        return new SocksTarget(host, port);
    }

    /** Whether this URI carries a user name and password (SOCKS5 RFC 1929). */
    public boolean hasCredentials() {
        return username != null;
    }

    /** The RFC 1929 request for these credentials; only when {@link #hasCredentials()}. */
    Socks5PasswordAuthRequest passwordAuthRequest() {
        return new Socks5PasswordAuthRequest(username.getBytes(StandardCharsets.UTF_8),
                password.getBytes(StandardCharsets.UTF_8));
    }

    /** The URI, with the password shown as {@code ***}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(protocol.scheme()).append("://");
        if (username != null) {
            sb.append(percentEncode(username)).append(":***@");
        }
        sb.append(NetUtil.isValidIpV6Address(host) ? "[" + host + "]" : host).append(':').append(port);
        return sb.toString();
    }

    private static void checkCredentialField(String field, String value) {
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > Socks5PasswordAuthRequest.MAX_FIELD_LENGTH) {
            throw new IllegalArgumentException(field + ": " + bytes + " bytes in UTF-8 (expected: 1-"
                    + Socks5PasswordAuthRequest.MAX_FIELD_LENGTH + ", as RFC 1929 carries)");
        }
    }

    private static int parsePort(String text) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("port '" + text + "' (expected: 1-" + SocksAddress.MAX_PORT + ")");
        }
        int port = Integer.parseInt(text);
        if (port < 1 || port > SocksAddress.MAX_PORT) {
            throw new IllegalArgumentException("port " + port + " (expected: 1-" + SocksAddress.MAX_PORT + ")");
        }
        return port;
    }

    /** Decodes %XX escapes as UTF-8; a malformed escape or invalid UTF-8 is refused. */
    private static String percentDecode(String text, String field) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); ) {
            char c = text.charAt(i);
            if (c == '%') {
                if (i + 2 >= text.length()) {
                    throw new IllegalArgumentException(field + ": '%' not followed by two hex digits");
                }
                int hi = Character.digit(text.charAt(i + 1), 16);
                int lo = Character.digit(text.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new IllegalArgumentException(field + ": '%' not followed by two hex digits");
                }
                bytes.write(hi << 4 | lo);
                i += 3;
            } else {
                byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                if (Character.isHighSurrogate(c) && i + 1 < text.length()) {
                    encoded = text.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
                    i++;
                }
                bytes.writeBytes(encoded);
                i++;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(field + ": percent escapes that are not UTF-8");
        }
    }

    /** Escapes what would end the user name in a URI, so that {@link #toString()} parses back. */
    private static String percentEncode(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            boolean plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '-' || c == '.' || c == '_' || c == '~';
            if (plain) {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xF, 16));
            }
        }
        return sb.toString();
    }

    /** The URI for an error message, with anything between "://" and the last '@' hidden. */
    private static String redact(String uri) {
        int schemeEnd = uri.indexOf("://");
        int at = uri.lastIndexOf('@');
        if (schemeEnd < 0 || at < schemeEnd) {
            return uri;
        }
        return uri.substring(0, schemeEnd + 3) + "***" + uri.substring(at);
    }
}
