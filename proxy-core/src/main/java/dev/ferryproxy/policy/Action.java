package dev.ferryproxy.policy;

import java.util.Locale;
import java.util.Objects;

/** What a rule does with a request it matches. */
public enum Action {
    /** Let the request through. */
    ALLOW,
    /** Refuse the request. */
    DENY;

    /** The action for its config spelling, {@code allow} or {@code deny} (any case). */
    public static Action parse(String text) {
        Objects.requireNonNull(text, "text");
        for (Action action : values()) {
            if (action.configName().equalsIgnoreCase(text)) {
                return action;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not an action (expected one of: allow, deny)");
    }

    /** The config spelling: {@code allow} or {@code deny}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
