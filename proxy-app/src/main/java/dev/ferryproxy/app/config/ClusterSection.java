package dev.ferryproxy.app.config;

import dev.ferryproxy.app.ByteSizes;
import dev.ferryproxy.limits.CaCertificates;
import dev.ferryproxy.limits.ClusterSettings;
import dev.ferryproxy.limits.StoreFailureMode;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the {@code cluster} section: the Redis server the fleet's limits are shared through.
 *
 * <pre>
 * cluster:
 *   redis: rediss://redis.internal:6379 # redis:// without TLS
 *   caFile: redis-ca.pem                # the CAs a rediss:// server's certificate is checked against
 *   passwordFile: /run/secrets/redis    # or passwordEnv: FERRY_REDIS_PASSWORD
 *   onFailure: open                     # or closed
 * </pre>
 *
 * <p>The password never sits in this file: it is read from a file (relative to this file's
 * directory) or from an environment variable. The CA file (relative likewise) is read here, so that a
 * missing or malformed one stops the server at start-up and {@code --check-config}, not at its first
 * connection.
 */
final class ClusterSection {
    private ClusterSection() {
    }

    static ClusterSettings read(ConfigNode node, Path directory, Map<String, String> environment) throws ConfigException {
        ConfigMap cluster = node.asMap("redis", "caFile", "passwordFile", "passwordEnv", "keyPrefix", "timeout",
                "onFailure", "leaseTtl", "chargeInterval", "chargeBatch");
        ConfigNode redisNode = cluster.require("redis");
        URI redis = redisNode.as(ClusterSection::redisUri);
        Path caFile = caFile(cluster, redis, directory);
        ConfigNode fileNode = cluster.get("passwordFile").orElse(null);
        ConfigNode envNode = cluster.get("passwordEnv").orElse(null);
        if (fileNode != null && envNode != null) {
            throw envNode.error("give passwordFile or passwordEnv, not both");
        }
        char[] password = null;
        if (fileNode != null) {
            Path file = directory.resolve(fileNode.asString());
            try {
                password = Files.readString(file, StandardCharsets.UTF_8).strip().toCharArray();
            } catch (IOException e) {
                throw fileNode.error("cannot read " + file + ": " + e.getMessage());
            }
            if (password.length == 0) {
                throw fileNode.error(file + " is empty");
            }
        } else if (envNode != null) {
            String name = envNode.asString();
            String value = environment.get(name);
            if (value == null || value.isEmpty()) {
                throw envNode.error("the environment variable " + name + " is not set");
            }
            password = value.toCharArray();
        }
        if (redis.getUserInfo() != null) {
            throw redisNode.error("put no password in the address: use passwordFile or passwordEnv");
        }
        String prefix = cluster.get("keyPrefix").isPresent() ? cluster.get("keyPrefix").get().asString()
                : ClusterSettings.DEFAULT_KEY_PREFIX;
        StoreFailureMode onFailure = StoreFailureMode.OPEN;
        ConfigNode failureNode = cluster.get("onFailure").orElse(null);
        if (failureNode != null) {
            onFailure = switch (failureNode.asString().toLowerCase(Locale.ROOT)) {
                case "open" -> StoreFailureMode.OPEN;
                case "closed" -> StoreFailureMode.CLOSED;
                default -> throw failureNode.error("expected open (this server's own limits) or closed (refuse), got '"
                        + failureNode.asString() + "'");
            };
        }
        Duration leaseTtl = or(cluster.read("leaseTtl", ConfigFile::positiveDuration), ClusterSettings.DEFAULT_LEASE_TTL);
        if (leaseTtl.compareTo(Duration.ofSeconds(1)) < 0) {
            throw cluster.require("leaseTtl").error("must be at least 1s (leases are renewed every third of it)");
        }
        long batch = cluster.get("chargeBatch").isPresent() ? cluster.get("chargeBatch").get().as(ByteSizes::parse)
                : ClusterSettings.DEFAULT_CHARGE_BATCH_BYTES;
        if (batch < 1) {
            throw cluster.require("chargeBatch").error("must be at least 1 byte");
        }
        return new ClusterSettings(redis, password, caFile, prefix,
                or(cluster.read("timeout", ConfigFile::positiveDuration), ClusterSettings.DEFAULT_TIMEOUT),
                onFailure, leaseTtl,
                or(cluster.read("chargeInterval", ConfigFile::positiveDuration), ClusterSettings.DEFAULT_CHARGE_INTERVAL),
                batch);
    }

    /** The CA file, read once to check that it holds PEM certificates; null when not given. */
    private static Path caFile(ConfigMap cluster, URI redis, Path directory) throws ConfigException {
        ConfigNode caNode = cluster.get("caFile").orElse(null);
        if (caNode == null) {
            return null;
        }
        if (!"rediss".equals(redis.getScheme())) {
            throw caNode.error("needs a rediss:// address (TLS), but cluster.redis is " + redis);
        }
        Path file = directory.resolve(caNode.asString());
        byte[] pem;
        try {
            pem = Files.readAllBytes(file);
        } catch (IOException e) {
            throw caNode.error("cannot read " + file + ": " + (e instanceof java.nio.file.NoSuchFileException
                    ? "no such file" : e.getMessage()));
        }
        try {
            CaCertificates.parse(pem, file);
        } catch (IllegalArgumentException e) {
            throw caNode.error(e.getMessage());
        }
        return file;
    }

    private static Duration or(Duration given, Duration fallback) {
        return given != null ? given : fallback;
    }

    private static URI redisUri(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not an address (expected redis://HOST:PORT)");
        }
        if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme())) {
            throw new IllegalArgumentException("'" + text + "' is not a Redis address (expected redis://HOST:PORT,"
                    + " or rediss://HOST:PORT for TLS)");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("'" + text + "' names no host (expected redis://HOST:PORT)");
        }
        return uri;
    }
}
