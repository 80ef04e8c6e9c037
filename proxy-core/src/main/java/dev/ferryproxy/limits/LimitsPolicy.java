package dev.ferryproxy.limits;

import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The configured limits: one for every user that has none of its own, one per named user, and
 * one per client network. A tunnel counts against its user's limit (when it logged in with a
 * password) and against the first network entry that holds its client address; it must fit both.
 *
 * <p>A SOCKS4 USERID is not a login (anyone can send any name), so it never counts as the user:
 * otherwise a client could spend another user's tunnels and quota by naming them.
 *
 * @param userDefault the limit of each user without one of its own, each user separately
 * @param users the limits of named users (each complete: the configuration merges them onto the default)
 * @param networks the client network limits, in order; the first that holds the client applies
 */
public record LimitsPolicy(Limit userDefault, Map<String, Limit> users, List<NetworkLimit> networks) {
    /** No limits. */
    public static final LimitsPolicy NONE = new LimitsPolicy(Limit.NONE, Map.of(), List.of());

    public LimitsPolicy {
        Objects.requireNonNull(userDefault, "userDefault");
        users = Collections.unmodifiableMap(new LinkedHashMap<>(users));
        networks = List.copyOf(networks);
    }

    /** Whether any limit is set. */
    public boolean limitsAnything() {
        return userDefault.limitsAnything() || users.values().stream().anyMatch(Limit::limitsAnything)
                || networks.stream().anyMatch(network -> network.limit().limitsAnything());
    }

    /**
     * The subjects a tunnel counts against, with the limit of each: the user (if {@code
     * loggedInUser} is not null and a limit applies to it), then the client's network entry.
     */
    public List<Subject> subjectsFor(String loggedInUser, InetAddress client) {
        List<Subject> subjects = new ArrayList<>(2);
        if (loggedInUser != null) {
            Limit limit = users.getOrDefault(loggedInUser, userDefault);
            if (limit.limitsAnything()) {
                subjects.add(Subject.user(loggedInUser, limit));
            }
        }
        for (NetworkLimit network : networks) {
            if (network.network().contains(client)) {
                if (network.limit().limitsAnything()) {
                    subjects.add(network.perAddress()
                            ? Subject.address(NetUtil.toAddressString(client), network.limit())
                            : Subject.network(network.network().toString(), network.limit()));
                }
                break;
            }
        }
        return subjects;
    }

    /** For the start-up log and {@code --check-config}: one line per limit set. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        if (userDefault.limitsAnything()) {
            lines.add("each user: " + userDefault.describe());
        }
        users.forEach((name, limit) -> lines.add("user '" + dev.ferryproxy.logging.LogText.escape(name) + "': "
                + limit.describe()));
        for (NetworkLimit network : networks) {
            lines.add((network.perAddress() ? "each client in " : "clients in ") + network.network() + ": "
                    + network.limit().describe());
        }
        return lines;
    }
}
