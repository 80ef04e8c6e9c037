package dev.ferryproxy.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private CA and server certificates it signs, made with the {@code openssl} command (Debian's)
 * in a directory of the test's, for servers that speak TLS on loopback. Nothing here is trusted
 * by the JDK, so a client that trusts its own defaults refuses these servers.
 */
public final class TestCertificates {
    public static final Path OPENSSL = Path.of("/usr/bin/openssl");

    private final Path directory;
    private final Path caCertificate;
    private final Path caKey;
    private long serial = 1;

    private TestCertificates(Path directory) {
        this.directory = directory;
        this.caCertificate = directory.resolve("ca.pem");
        this.caKey = directory.resolve("ca-key.pem");
    }

    /** A new CA (EC P-256, valid for two days) in {@code directory}. */
    public static TestCertificates newCa(Path directory, String name) throws IOException {
        ExternalServerProcess.requireBinary(OPENSSL, "openssl");
        TestCertificates ca = new TestCertificates(directory);
        ca.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", ca.caKey.toString(), "-out", ca.caCertificate.toString(), "-days", "2",
                "-subj", "/CN=" + name,
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return ca;
    }

    /** The CA's certificate (PEM): what a client that trusts this CA is given. */
    public Path caCertificate() {
        return caCertificate;
    }

    /**
     * A server certificate signed by this CA for the {@code subjectAltNames} given as openssl
     * writes them ({@code IP:127.0.0.1}, {@code DNS:localhost}), with its key.
     */
    public ServerCertificate issue(String name, String... subjectAltNames) throws IOException {
        Path key = directory.resolve(name + "-key.pem");
        Path request = directory.resolve(name + ".csr");
        Path certificate = directory.resolve(name + ".pem");
        Path extensions = Files.writeString(directory.resolve(name + ".ext"),
                "basicConstraints=critical,CA:FALSE\n"
                        + "keyUsage=critical,digitalSignature,keyEncipherment\n"
                        + "extendedKeyUsage=serverAuth\n"
                        + "subjectAltName=" + String.join(",", subjectAltNames) + "\n",
                StandardCharsets.UTF_8);
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key.toString(), "-out", request.toString(), "-subj", "/CN=" + name);
        openssl("x509", "-req", "-in", request.toString(), "-CA", caCertificate.toString(),
                "-CAkey", caKey.toString(), "-set_serial", Long.toString(++serial), "-days", "2",
                "-extfile", extensions.toString(), "-out", certificate.toString());
        return new ServerCertificate(certificate, key);
    }

    /** A server's certificate and private key, both PEM files. */
    public record ServerCertificate(Path certificate, Path key) {
    }

    private void openssl(String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of(OPENSSL.toString()));
        command.addAll(List.of(arguments));
        Path log = directory.resolve("openssl.log");
        Process process = new ProcessBuilder(command).directory(directory.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("openssl did not finish within 30 s: " + command);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted while running " + command, e);
        }
        if (process.exitValue() != 0) {
            throw new IOException("openssl exited with " + process.exitValue() + ": " + command + "\n"
                    + Files.readString(log, StandardCharsets.UTF_8));
        }
    }
}
