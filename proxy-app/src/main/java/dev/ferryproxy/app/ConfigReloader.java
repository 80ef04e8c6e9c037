package dev.ferryproxy.app;

import dev.ferryproxy.app.config.ConfigException;
import dev.ferryproxy.app.config.ConfigFile;
import dev.ferryproxy.app.config.FerryConfig;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.server.ProxyServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Re-reads the configuration file and swaps in its users and rules, all at once, while the
 * connections that are open keep flowing. An invalid file changes nothing: the reason is logged
 * and the configuration in force stays. Listeners, timeouts and the other settings stay as they
 * were at start; a file that changes them gets one log line saying they need a restart.
 *
 * <p>Blocks (file reads, name lookups): never call {@link #reload()} on an event loop.
 */
final class ConfigReloader {
    private static final Logger log = LoggerFactory.getLogger(ConfigReloader.class);

    private final Path file;
    private final FerryConfig atStart;
    private final UserDirectory commandLineUsers;
    private final ProxyServer server;
    private final Counter reloaded;
    private final Counter rejected;

    /**
     * @param file the configuration file to re-read
     * @param atStart what the file said when the server started
     * @param commandLineUsers the users of --user and FERRY_USERS, which every reload keeps
     * @param server the server whose users and rules are replaced (it keeps its open-proxy permission)
     */
    ConfigReloader(Path file, FerryConfig atStart, UserDirectory commandLineUsers, ProxyServer server) {
        this(file, atStart, commandLineUsers, server, null);
    }

    /** Like the other constructor, counting reloads by result in {@code registry} (null: nowhere). */
    ConfigReloader(Path file, FerryConfig atStart, UserDirectory commandLineUsers, ProxyServer server,
            MeterRegistry registry) {
        this.file = file;
        this.atStart = atStart;
        this.commandLineUsers = commandLineUsers;
        this.server = server;
        MeterRegistry meters = registry != null ? registry : new CompositeMeterRegistry();
        this.reloaded = reloadCounter(meters, "ok");
        this.rejected = reloadCounter(meters, "rejected");
    }

    private static Counter reloadCounter(MeterRegistry registry, String result) {
        return Counter.builder("ferry.config.reloads").description("Configuration reloads (SIGHUP), by result")
                .tag("result", result).register(registry);
    }

    /** Reloads once; returns whether the new configuration is in force. */
    synchronized boolean reload() {
        FerryConfig next;
        ProxyPolicy policy;
        try {
            next = ConfigFile.load(file);
            policy = EffectiveConfig.policy(next, commandLineUsers);
            server.updatePolicy(policy); // refuses a policy that would make an open proxy
            server.updateLimits(next.limits(), next.cluster());
        } catch (ConfigException | IllegalArgumentException e) {
            log.warn("configuration reload from {} rejected, keeping the old one: {}", file, e.getMessage());
            rejected.increment();
            return false;
        } catch (RuntimeException e) {
            log.error("configuration reload from {} failed, keeping the old one: {}", file, e.toString());
            rejected.increment();
            return false;
        }
        reloaded.increment();
        log.info("configuration reloaded from {}: {} users, {} rules", file, policy.users().names().size(),
                policy.rules().rules().size());
        List<String> changed = changedRestartOnlyKeys(atStart, next);
        if (!changed.isEmpty()) {
            log.warn("configuration reload from {}: {} changed, which takes effect only after a restart",
                    file, String.join(", ", changed));
        }
        return true;
    }

    /** The keys whose new values a reload does not apply. */
    static List<String> changedRestartOnlyKeys(FerryConfig before, FerryConfig after) {
        Map<String, Object> old = before.restartOnlySettings();
        List<String> changed = new ArrayList<>();
        after.restartOnlySettings().forEach((key, value) -> {
            if (!Objects.equals(old.get(key), value)) {
                changed.add(key);
            }
        });
        return changed;
    }
}
