package dev.ferryproxy.app.config;

import dev.ferryproxy.auth.BcryptCredential;
import dev.ferryproxy.auth.Credential;
import dev.ferryproxy.auth.LoginThrottle;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.auth.UsersFile;
import dev.ferryproxy.auth.UsersFileException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads the {@code auth} section: who may log in, whether they must, and how guessing is slowed. */
final class AuthSection {
    private AuthSection() {
    }

    static FerryConfig.Auth read(ConfigNode node, Path baseDirectory) throws ConfigException {
        ConfigMap auth = node.asMap("required", "usersFile", "users", "closeConnectionsOfRemovedUsers", "throttle",
                "cacheTtl");
        Boolean required = auth.read("required", ConfigNode::asBoolean);

        Path usersFile = null;
        UserDirectory fileUsers = UserDirectory.empty();
        if (auth.get("usersFile").isPresent()) {
            ConfigNode fileNode = auth.get("usersFile").get();
            String text = fileNode.asString();
            if (text.isBlank()) {
                throw fileNode.error("the path is empty");
            }
            usersFile = baseDirectory.resolve(text);
            try {
                fileUsers = UsersFile.read(usersFile);
            } catch (UsersFileException e) {
                throw fileNode.error(e.getMessage());
            }
        }
        UserDirectory inlineUsers = auth.get("users").isPresent()
                ? inlineUsers(auth.get("users").get(), fileUsers, usersFile)
                : UserDirectory.empty();

        return new FerryConfig.Auth(required, auth.get("required").orElse(null), fileUsers.with(inlineUsers), usersFile,
                auth.read("closeConnectionsOfRemovedUsers", ConfigNode::asBoolean),
                auth.read("throttle", AuthSection::throttle),
                auth.read("cacheTtl", ConfigFile::nonNegativeDuration));
    }

    /** {@code users: [{name: alice, passwordHash: "$2y$10$..."}]}: bcrypt hashes only, never clear passwords. */
    private static UserDirectory inlineUsers(ConfigNode node, UserDirectory fileUsers, Path usersFile)
            throws ConfigException {
        Map<String, Credential> users = new LinkedHashMap<>();
        Map<String, Integer> lines = new LinkedHashMap<>();
        for (ConfigNode entry : node.asList()) {
            ConfigMap user = entry.asMap("name", "passwordHash");
            ConfigNode nameNode = user.require("name");
            String name = nameNode.asString();
            String problem = UserNames.problem(name);
            if (problem != null) {
                throw nameNode.error(problem);
            }
            Integer firstLine = lines.putIfAbsent(name, nameNode.line());
            if (firstLine != null) {
                throw nameNode.error("user '" + name + "' is listed twice (first on line " + firstLine + ")");
            }
            if (fileUsers.find(name).isPresent()) {
                throw nameNode.error("user '" + name + "' is also in the users file " + usersFile
                        + " (keep one of them)");
            }
            users.put(name, user.require("passwordHash").as(BcryptCredential::parse));
        }
        return UserDirectory.of(users);
    }

    private static LoginThrottle.Settings throttle(ConfigNode node) throws ConfigException {
        ConfigMap throttle = node.asMap("baseDelay", "maxDelay", "lockoutAfter", "lockoutDuration", "forgetAfter");
        LoginThrottle.Settings defaults = LoginThrottle.Settings.DEFAULT;
        Duration baseDelay = orDefault(throttle.read("baseDelay", ConfigFile::nonNegativeDuration), defaults.baseDelay());
        Duration maxDelay = orDefault(throttle.read("maxDelay", ConfigFile::nonNegativeDuration), defaults.maxDelay());
        Integer lockoutAfter = throttle.read("lockoutAfter", value -> value.asInt(1, 1_000_000));
        Duration lockoutDuration = orDefault(throttle.read("lockoutDuration", ConfigFile::positiveDuration),
                defaults.lockoutDuration());
        Duration forgetAfter = orDefault(throttle.read("forgetAfter", ConfigFile::positiveDuration),
                defaults.forgetAfter());
        if (maxDelay.compareTo(baseDelay) < 0) {
            throw throttle.get("maxDelay").orElse(node).error("maxDelay " + maxDelay + " is shorter than baseDelay "
                    + baseDelay + " (expected: baseDelay <= maxDelay)");
        }
        try {
            return new LoginThrottle.Settings(baseDelay, maxDelay,
                    lockoutAfter != null ? lockoutAfter : defaults.lockoutAfter(), lockoutDuration, forgetAfter);
        } catch (IllegalArgumentException e) {
            throw node.error(e.getMessage());
        }
    }

    private static <T> T orDefault(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
