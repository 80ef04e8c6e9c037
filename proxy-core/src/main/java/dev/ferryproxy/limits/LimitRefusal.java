package dev.ferryproxy.limits;

import java.util.Locale;

/** Why a limit refused a tunnel. */
public enum LimitRefusal {
    /** The subject holds as many tunnels as it may. */
    TUNNELS,
    /** The subject opened tunnels faster than it may. */
    RATE,
    /** The subject used its byte quota for the period. */
    QUOTA,
    /** The shared store did not answer and the limits fail closed. */
    STORE;

    /** The tag on {@code ferry_limit_refused_total}. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
