package dev.ferryproxy.handshake;

import io.netty.channel.Channel;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The client connections that logged in with a password, by user, for as long as they are open. */
public final class UserSessions {
    private final ConcurrentHashMap<String, Set<Channel>> byUser = new ConcurrentHashMap<>();

    /** Tracks {@code client} under {@code user} until it closes. */
    public void add(String user, Channel client) {
        byUser.computeIfAbsent(user, name -> ConcurrentHashMap.newKeySet()).add(client);
        client.closeFuture().addListener(closed -> remove(user, client));
    }

    private void remove(String user, Channel client) {
        byUser.computeIfPresent(user, (name, channels) -> {
            channels.remove(client);
            return channels.isEmpty() ? null : channels;
        });
    }

    /** Closes every connection of the users not in {@code remaining}; returns how many were closed. */
    public int closeAllExcept(Collection<String> remaining) {
        int closed = 0;
        for (var entry : byUser.entrySet()) {
            if (!remaining.contains(entry.getKey())) {
                for (Channel client : entry.getValue()) {
                    client.close();
                    closed++;
                }
            }
        }
        return closed;
    }
}
