package dev.ferryproxy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Deterministic pseudo-random payloads for transfer tests, and SHA-256 over what was sent or received. */
public final class SeededBytes {
    private static final int CHUNK = 64 * 1024;

    private SeededBytes() {
    }

    /** {@code length} bytes drawn from a generator seeded with {@code seed}. */
    public static byte[] generate(long seed, int length) {
        byte[] bytes = new byte[length];
        new SplittableRandom(seed).nextBytes(bytes);
        return bytes;
    }

    /** Writes {@code length} seeded bytes to {@code out} in 64 KiB writes; returns their SHA-256 in hex. */
    public static String writeAndDigest(OutputStream out, long seed, long length) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        MessageDigest digest = sha256();
        byte[] chunk = new byte[CHUNK];
        for (long left = length; left > 0; ) {
            int n = (int) Math.min(chunk.length, left);
            random.nextBytes(chunk);
            out.write(chunk, 0, n);
            digest.update(chunk, 0, n);
            left -= n;
        }
        out.flush();
        return hex(digest);
    }

    /** Reads {@code in} to its end: how many bytes came and their SHA-256. */
    public static Digest readAndDigest(InputStream in) throws IOException {
        MessageDigest digest = sha256();
        byte[] chunk = new byte[CHUNK];
        long count = 0;
        for (int n; (n = in.read(chunk)) != -1; ) {
            digest.update(chunk, 0, n);
            count += n;
        }
        return new Digest(count, hex(digest));
    }

    /** The SHA-256 of {@code bytes} in hex. */
    public static String sha256Hex(byte[] bytes) {
        MessageDigest digest = sha256();
        digest.update(bytes);
        return hex(digest);
    }

    /** Completes {@code digest} and returns it in hex. */
    public static String hex(MessageDigest digest) {
        return HexFormat.of().formatHex(digest.digest());
    }

    /** A fresh SHA-256 digest. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Updates {@code digest} with the bytes of {@code buffer} between {@code from} and its position. */
    public static void update(MessageDigest digest, ByteBuffer buffer, int from) {
        ByteBuffer written = buffer.duplicate();
        written.limit(buffer.position()).position(from);
        digest.update(written);
    }

    /** A byte count and the SHA-256 of those bytes, in hex. */
    public record Digest(long count, String sha256) {
    }
}
