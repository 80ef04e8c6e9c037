package dev.ferryproxy.limits;

/** A tunnel refused by a limit: which limit, and whose. Carries no stack trace: it is an answer, not a fault. */
public final class LimitExceededException extends Exception {
    private final LimitRefusal reason;

    public LimitExceededException(LimitRefusal reason, String subject) {
        super(subject + ": " + reason.tag() + " limit", null, false, false);
        this.reason = reason;
    }

    public LimitRefusal reason() {
        return reason;
    }
}
