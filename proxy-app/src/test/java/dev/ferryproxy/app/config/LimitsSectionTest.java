package dev.ferryproxy.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.limits.ClusterSettings;
import dev.ferryproxy.limits.Limit;
import dev.ferryproxy.limits.LimitsPolicy;
import dev.ferryproxy.limits.Quota;
import dev.ferryproxy.limits.StoreFailureMode;
import dev.ferryproxy.testing.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;

/** The {@code limits} and {@code cluster} sections: what they read, and the errors that name the file, line, column and key. */
class LimitsSectionTest {
    @TempDir
    Path dir;

    private FerryConfig load(String yaml) throws Exception {
        return ConfigFile.load(Files.writeString(dir.resolve("ferry.yaml"), yaml, StandardCharsets.UTF_8));
    }

    @Test
    void aUsersLimitReplacesOnlyTheKeysItGives() throws Exception {
        LimitsPolicy limits = load("""
                limits:
                  default: { tunnels: 10, connectionsPerSecond: 2.5, downloadBytesPerSecond: 10MiB }
                  users:
                    alice: { tunnels: 50, quota: { bytes: 1GiB, period: month, resetAt: "06:30" } }
                  networks:
                    - { network: 10.1.0.0/16, per: address, tunnels: 20 }
                    - { network: 192.0.2.0/24, uploadBytesPerSecond: 64KiB }
                """).limits();
        assertThat(limits.userDefault()).isEqualTo(new Limit(10, 2.5, 3, 0, 10L << 20, null));
        assertThat(limits.users().get("alice")).isEqualTo(new Limit(50, 2.5, 3, 0, 10L << 20,
                new Quota(1L << 30, Quota.Period.MONTH, LocalTime.of(6, 30))));
        assertThat(limits.networks()).hasSize(2);
        assertThat(limits.networks().get(0).perAddress()).isTrue();
        assertThat(limits.networks().get(0).limit().tunnels()).isEqualTo(20);
        assertThat(limits.networks().get(1).perAddress()).isFalse();
        assertThat(limits.networks().get(1).limit().uploadBytesPerSecond()).isEqualTo(64 * 1024);
    }

    @Test
    void noSectionMeansNoLimitsAndNoCluster() throws Exception {
        FerryConfig config = load("listen: [\"127.0.0.1:1080\"]\n");
        assertThat(config.limits()).isEqualTo(LimitsPolicy.NONE);
        assertThat(config.cluster()).isNull();
    }

    @Test
    void badValuesNameTheirKey() {
        assertThatThrownBy(() -> load("limits:\n  default: { tunnels: many }\n"))
                .hasMessageStartingWith(dir.resolve("ferry.yaml") + ":2:")
                .hasMessageEndingWith("limits.default.tunnels" + ": " + "expected a whole number, got 'many'");
        assertThatThrownBy(() -> load("limits:\n  default: { downloadBytesPerSecond: 10MB }\n"))
                .hasMessageStartingWith(dir.resolve("ferry.yaml") + ":2:")
                .hasMessageEndingWith("limits.default.downloadBytesPerSecond" + ": " + "'10MB' has an unknown unit 'mb' (expected B, KiB, MiB, GiB or TiB)");
        assertThatThrownBy(() -> load("limits:\n  default: { quota: { bytes: 1GiB, period: week } }\n"))
                .hasMessageStartingWith(dir.resolve("ferry.yaml") + ":2:")
                .hasMessageEndingWith("limits.default.quota.period" + ": " + "expected day or month, got 'week'");
        assertThatThrownBy(() -> load("limits:\n  networks:\n    - { per: address, tunnels: 2 }\n"))
                .hasMessageContaining("limits.networks[0].network: is missing (it is required)");
        assertThatThrownBy(() -> load("limits:\n  users:\n    alice: { tunnels: 1 }\n    alice: { tunnels: 2 }\n"))
                .hasMessageContaining("limits.users.alice: duplicate key (first given on line 3)");
        assertThatThrownBy(() -> load("limits:\n  default: { tunels: 1 }\n"))
                .hasMessageContaining("limits.default.tunels: unknown key");
    }

    @Test
    void theClusterSectionReadsItsPasswordFromAFileAndNeverFromTheAddress() throws Exception {
        Files.writeString(dir.resolve("redis-password"), "s3cret\n", StandardCharsets.UTF_8);
        ClusterSettings cluster = load("""
                cluster:
                  redis: redis://127.0.0.1:6379
                  passwordFile: redis-password
                  onFailure: closed
                  leaseTtl: 3s
                  chargeBatch: 1MiB
                """).cluster();
        assertThat(cluster.redis()).isEqualTo(URI.create("redis://127.0.0.1:6379"));
        assertThat(cluster.password()).containsExactly("s3cret".toCharArray());
        assertThat(cluster.onFailure()).isEqualTo(StoreFailureMode.CLOSED);
        assertThat(cluster.leaseTtl()).isEqualTo(Duration.ofSeconds(3));
        assertThat(cluster.chargeBatchBytes()).isEqualTo(1 << 20);
        assertThat(cluster.toString()).doesNotContain("s3cret");
        assertThatThrownBy(() -> load("cluster:\n  redis: redis://:pw@127.0.0.1:6379\n"))
                .hasMessageStartingWith(dir.resolve("ferry.yaml") + ":2:")
                .hasMessageEndingWith("cluster.redis" + ": " + "put no password in the address: use passwordFile or passwordEnv");
        assertThatThrownBy(() -> load("cluster:\n  redis: http://127.0.0.1:6379\n"))
                .hasMessageContaining("cluster.redis: 'http://127.0.0.1:6379' is not a Redis address");
        assertThatThrownBy(() -> load("cluster:\n  redis: redis://127.0.0.1:6379\n  passwordEnv: FERRY_TEST_UNSET_VARIABLE\n"))
                .hasMessageContaining("cluster.passwordEnv: the environment variable FERRY_TEST_UNSET_VARIABLE is not set");
        assertThatThrownBy(() -> load("cluster:\n  redis: redis://127.0.0.1:6379\n  passwordFile: missing\n"))
                .hasMessageContaining("cluster.passwordFile: cannot read");
        assertThatThrownBy(() -> load("cluster:\n  passwordFile: redis-password\n"))
                .hasMessageContaining("cluster.redis: is missing (it is required)");
    }

    @Test
    void theClusterSectionReadsACaFileRelativeToItsDirectory() throws Exception {
        Path ca = TestCertificates.newCa(Files.createDirectory(dir.resolve("pki")), "Ferry test CA").caCertificate();
        ClusterSettings cluster = load("""
                cluster:
                  redis: rediss://redis.internal:6380
                  caFile: pki/ca.pem
                """).cluster();
        assertThat(cluster.caFile()).isEqualTo(ca);
        assertThat(cluster.toString()).contains(ca.toString());
        ClusterSettings withoutCa = load("cluster:\n  redis: rediss://redis.internal:6380\n").cluster();
        assertThat(withoutCa.caFile()).as("without caFile: the JDK's trust store").isNull();
        // a reload compares settings: adding or changing the CA file makes a new connection
        assertThat(cluster).isNotEqualTo(withoutCa).isEqualTo(withoutCa.withCaFile(ca))
                .hasSameHashCodeAs(withoutCa.withCaFile(ca));
    }

    @Test
    void aCaFileNeedsTlsAndMustHoldPemCertificates() throws Exception {
        TestCertificates.newCa(dir, "Ferry test CA");
        Path yaml = dir.resolve("ferry.yaml");
        assertThatThrownBy(() -> load("cluster:\n  redis: redis://127.0.0.1:6379\n  caFile: ca.pem\n"))
                .hasMessage(yaml + ":3:11: cluster.caFile: needs a rediss:// address (TLS), but cluster.redis is"
                        + " redis://127.0.0.1:6379");
        assertThatThrownBy(() -> load("cluster:\n  redis: rediss://127.0.0.1:6379\n  caFile: missing.pem\n"))
                .hasMessage(yaml + ":3:11: cluster.caFile: cannot read " + dir.resolve("missing.pem") + ": no such file");
        Files.writeString(dir.resolve("not-pem.pem"), "this is no certificate\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> load("cluster:\n  redis: rediss://127.0.0.1:6379\n  caFile: not-pem.pem\n"))
                .hasMessageStartingWith(yaml + ":3:11: cluster.caFile: " + dir.resolve("not-pem.pem")
                        + " is not a PEM file of CA certificates");
        // a private key is PEM too, but no certificate
        assertThatThrownBy(() -> load("cluster:\n  redis: rediss://127.0.0.1:6379\n  caFile: ca-key.pem\n"))
                .hasMessageStartingWith(yaml + ":3:11: cluster.caFile: " + dir.resolve("ca-key.pem"));
        Files.writeString(dir.resolve("empty.pem"), "", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> load("cluster:\n  redis: rediss://127.0.0.1:6379\n  caFile: empty.pem\n"))
                .hasMessage(yaml + ":3:11: cluster.caFile: " + dir.resolve("empty.pem")
                        + " holds no certificate (expected PEM CA certificates)");
    }

    @Test
    void byteCountsTakeBinaryUnits() throws IOException {
        assertThat(dev.ferryproxy.app.ByteSizes.parse("65536")).isEqualTo(65536);
        assertThat(dev.ferryproxy.app.ByteSizes.parse("64KiB")).isEqualTo(65536);
        assertThat(dev.ferryproxy.app.ByteSizes.parse("2 GiB")).isEqualTo(2L << 30);
        assertThatThrownBy(() -> dev.ferryproxy.app.ByteSizes.parse("lots")).hasMessageContaining("not a byte count");
    }
}
