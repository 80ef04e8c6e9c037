package dev.ferryproxy.limits;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.TrustManagerFactory;

/**
 * The certificate authorities a {@code rediss://} store is trusted through when the operator names
 * them ({@code cluster.caFile}): a PEM file with one or more CA certificates. The configuration
 * parses the file to refuse a bad one at start-up; the store reads it once when it is made and
 * trusts exactly these CAs (not the JDK's), so a server certificate that none of them signed is
 * refused (the host name is checked apart from this, by the TLS engine).
 */
public final class CaCertificates {
    private CaCertificates() {
    }

    /**
     * The X.509 certificates in {@code pem}, read from {@code source}.
     *
     * @throws IllegalArgumentException when it holds no certificate, or something other than
     *     certificates; the message names {@code source}
     */
    public static List<X509Certificate> parse(byte[] pem, Path source) {
        List<X509Certificate> certificates = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (Certificate certificate : factory.generateCertificates(new ByteArrayInputStream(pem))) {
                certificates.add((X509Certificate) certificate);
            }
        } catch (CertificateException e) {
            throw new IllegalArgumentException(source + " is not a PEM file of CA certificates (" + e.getMessage()
                    + ")", e);
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException(source + " holds no certificate (expected PEM CA certificates)");
        }
        return certificates;
    }

    /**
     * Trust managers that trust the CAs in {@code file} and no others.
     *
     * @throws IOException when the file cannot be read or holds no certificates
     */
    public static TrustManagerFactory trustManagers(Path file) throws IOException {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            List<X509Certificate> certificates = parse(Files.readAllBytes(file), file);
            for (int i = 0; i < certificates.size(); i++) {
                store.setCertificateEntry("ca-" + i, certificates.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return factory;
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot trust the CAs in " + file + ": " + e.getMessage(), e);
        }
    }
}
