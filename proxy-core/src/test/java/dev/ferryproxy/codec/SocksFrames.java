package dev.ferryproxy.codec;

import static dev.ferryproxy.codec.CodecTestSupport.bytes;
import static dev.ferryproxy.codec.CodecTestSupport.concat;
import static dev.ferryproxy.codec.CodecTestSupport.latin1;
import static dev.ferryproxy.codec.CodecTestSupport.port;

import dev.ferryproxy.codec.v4.Socks4CommandRequest;
import dev.ferryproxy.codec.v4.Socks4CommandType;
import dev.ferryproxy.codec.v5.Socks5AuthMethod;
import dev.ferryproxy.codec.v5.Socks5CommandRequest;
import dev.ferryproxy.codec.v5.Socks5CommandType;
import dev.ferryproxy.codec.v5.Socks5InitialRequest;
import dev.ferryproxy.codec.v5.Socks5PasswordAuthRequest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Client frames written byte by byte from the protocol description, independently of the codec
 * under test, and a generator of random valid frames with the message each must decode to.
 */
public final class SocksFrames {
    private SocksFrames() {
    }

    public static final int ATYP_IPV4 = 0x01;
    public static final int ATYP_DOMAIN = 0x03;
    public static final int ATYP_IPV6 = 0x04;

    /** Ports that break implementations treating the two bytes as signed, as 1..255 or as one byte. */
    public static final int[] EDGE_PORTS = {0, 1, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF};

    // ---- SOCKS4 / SOCKS4a ------------------------------------------------------------------

    /** {@code VN=4, CD, DSTPORT, DSTIP, USERID, NUL}. */
    public static byte[] socks4(int cd, int port, byte[] ip, byte[] userId) {
        return concat(bytes(4, cd), port(port), ip, userId, bytes(0));
    }

    /** {@code VN=4, CD, DSTPORT, 0.0.0.x, USERID, NUL, HOST, NUL}. */
    public static byte[] socks4a(int cd, int port, int x, byte[] userId, byte[] host) {
        return concat(bytes(4, cd), port(port), bytes(0, 0, 0, x), userId, bytes(0), host, bytes(0));
    }

    // ---- SOCKS5 ----------------------------------------------------------------------------

    /** {@code VER=5, NMETHODS, METHODS}; NMETHODS is the number of methods given. */
    public static byte[] greeting(byte[] methods) {
        return concat(bytes(5, methods.length), methods);
    }

    public static byte[] greeting(int... methods) {
        return greeting(bytes(methods));
    }

    /** {@code VER=1, ULEN, UNAME, PLEN, PASSWD}, the lengths being those of the arrays. */
    public static byte[] passwordAuth(byte[] username, byte[] password) {
        return concat(bytes(1, username.length), username, bytes(password.length), password);
    }

    /** {@code VER=5, CMD, RSV, ATYP, ADDR, PORT} with ADDR given raw (for a domain: with its length byte). */
    public static byte[] command(int cmd, int rsv, int atyp, byte[] addrField, int port) {
        return concat(bytes(5, cmd, rsv, atyp), addrField, port(port));
    }

    public static byte[] commandIpv4(int cmd, byte[] ip, int port) {
        return command(cmd, 0, ATYP_IPV4, ip, port);
    }

    public static byte[] commandIpv6(int cmd, byte[] ip, int port) {
        return command(cmd, 0, ATYP_IPV6, ip, port);
    }

    public static byte[] commandDomain(int cmd, byte[] name, int port) {
        return command(cmd, 0, ATYP_DOMAIN, concat(bytes(name.length), name), port);
    }

    /** {@code RSV(2)=0, FRAG, ATYP, ADDR, PORT, DATA}. */
    public static byte[] udp(int frag, int atyp, byte[] addrField, int port, byte[] data) {
        return concat(bytes(0, 0, frag, atyp), addrField, port(port), data);
    }

    // ---- random valid frames ---------------------------------------------------------------

    /** A valid frame and the message it must decode to. */
    public record Sample(String kind, byte[] frame, Object expected) {
        @Override
        public String toString() {
            return kind + " " + CodecTestSupport.hex(frame) + " -> " + expected;
        }
    }

    /** Random valid frames; lengths are mostly short, with the limits (1, 255) often enough. */
    public static final class Generator {
        private final Random random;

        public Generator(Random random) {
            this.random = random;
        }

        public Random random() {
            return random;
        }

        public int port() {
            return random.nextInt(3) == 0 ? EDGE_PORTS[random.nextInt(EDGE_PORTS.length)] : random.nextInt(0x10000);
        }

        /** A length in 1..max: small usually, the limits often. */
        public int length(int max) {
            switch (random.nextInt(8)) {
                case 0:
                    return 1;
                case 1:
                    return max - random.nextInt(2);
                case 2:
                    return 1 + random.nextInt(max);
                default:
                    return 1 + random.nextInt(Math.min(max, 24));
            }
        }

        public byte[] anyBytes(int length) {
            byte[] b = new byte[length];
            random.nextBytes(b);
            return b;
        }

        /** Bytes 1..255 (for NUL-terminated fields). */
        public byte[] nonNulBytes(int length) {
            byte[] b = new byte[length];
            for (int i = 0; i < length; i++) {
                b[i] = (byte) (1 + random.nextInt(255));
            }
            return b;
        }

        /** Host-name-like bytes most of the time, arbitrary non-NUL bytes sometimes. */
        public byte[] hostBytes(int length, boolean allowNul) {
            if (random.nextInt(4) == 0) {
                return allowNul ? anyBytes(length) : nonNulBytes(length);
            }
            byte[] alphabet = latin1("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.");
            byte[] b = new byte[length];
            for (int i = 0; i < length; i++) {
                b[i] = alphabet[random.nextInt(alphabet.length)];
            }
            return b;
        }

        public Sample socks4() {
            int cd = 1 + random.nextInt(2);
            int port = port();
            byte[] ip = anyBytes(4);
            if (ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] != 0) {
                ip[0] = 10; // 0.0.0.x is the SOCKS4a marker
            }
            if (random.nextInt(10) == 0) {
                ip = new byte[4]; // plain 0.0.0.0
            }
            byte[] userId = random.nextInt(4) == 0 ? new byte[0] : nonNulBytes(length(255));
            return new Sample("socks4", SocksFrames.socks4(cd, port, ip, userId), new Socks4CommandRequest(
                    Socks4CommandType.valueOf((byte) cd), SocksAddress.ipv4(ip, port), latin1(userId)));
        }

        public Sample socks4a() {
            int cd = 1 + random.nextInt(2);
            int port = port();
            int x = 1 + random.nextInt(255);
            byte[] userId = random.nextInt(4) == 0 ? new byte[0] : nonNulBytes(length(255));
            byte[] host = hostBytes(length(255), false);
            return new Sample("socks4a", SocksFrames.socks4a(cd, port, x, userId, host), new Socks4CommandRequest(
                    Socks4CommandType.valueOf((byte) cd), SocksAddress.domain(latin1(host), port), latin1(userId)));
        }

        public Sample socks4or4a() {
            return random.nextBoolean() ? socks4() : socks4a();
        }

        public Sample greeting() {
            int count = length(255);
            byte[] methods = random.nextInt(5) == 0 ? shuffledDistinctMethods(count) : anyBytes(count);
            List<Socks5AuthMethod> expected = new ArrayList<>();
            for (byte m : methods) {
                expected.add(Socks5AuthMethod.valueOf(m));
            }
            return new Sample("greeting", SocksFrames.greeting(methods), new Socks5InitialRequest(expected));
        }

        private byte[] shuffledDistinctMethods(int count) {
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < 256; i++) {
                all.add(i);
            }
            java.util.Collections.shuffle(all, random);
            byte[] methods = new byte[count];
            for (int i = 0; i < count; i++) {
                methods[i] = (byte) (int) all.get(i);
            }
            return methods;
        }

        public Sample passwordAuth() {
            byte[] username = anyBytes(length(255));
            byte[] password = anyBytes(length(255));
            return new Sample("passwordAuth", SocksFrames.passwordAuth(username, password),
                    new Socks5PasswordAuthRequest(username, password));
        }

        public Sample command() {
            int cmd = random.nextInt(4) == 0 ? random.nextInt(256) : 1 + random.nextInt(3);
            int rsv = random.nextInt(8) == 0 ? random.nextInt(256) : 0;
            int port = port();
            SocksAddress dst;
            byte[] addrField;
            int atyp;
            switch (random.nextInt(3)) {
                case 0:
                    atyp = ATYP_IPV4;
                    addrField = anyBytes(4);
                    dst = SocksAddress.ipv4(addrField, port);
                    break;
                case 1:
                    atyp = ATYP_IPV6;
                    addrField = ipv6Bytes();
                    dst = SocksAddress.ipv6(addrField, port);
                    break;
                default:
                    atyp = ATYP_DOMAIN;
                    byte[] name = hostBytes(length(255), true);
                    addrField = concat(bytes(name.length), name);
                    dst = SocksAddress.domain(latin1(name), port);
                    break;
            }
            return new Sample("command", SocksFrames.command(cmd, rsv, atyp, addrField, port),
                    new Socks5CommandRequest(Socks5CommandType.valueOf((byte) cmd), dst));
        }

        /** Random, or one of the special forms: ::, ::1, IPv4-mapped, IPv4-compatible. */
        public byte[] ipv6Bytes() {
            byte[] ip = anyBytes(16);
            switch (random.nextInt(6)) {
                case 0:
                    return new byte[16];
                case 1:
                    return concat(new byte[15], bytes(1));
                case 2:
                    return concat(new byte[10], bytes(0xFF, 0xFF), Arrays.copyOf(ip, 4));
                case 3:
                    return concat(new byte[12], Arrays.copyOf(ip, 4));
                default:
                    return ip;
            }
        }
    }
}
