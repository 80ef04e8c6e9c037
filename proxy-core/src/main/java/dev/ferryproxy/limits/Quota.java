package dev.ferryproxy.limits;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Objects;

/**
 * A byte quota: so many bytes, both directions together, per day or per month, the period
 * starting at {@code resetAt} (UTC) each day, or on the first of each month at that time.
 *
 * @param bytes the bytes allowed per period (at least 1)
 * @param period day or month
 * @param resetAt the time of day (UTC) a period starts
 */
public record Quota(long bytes, Period period, LocalTime resetAt) {
    /** How long a quota's period is. */
    public enum Period {
        DAY, MONTH;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One period of a quota: its name (the UTC date it started on) and when it ends.
     *
     * @param id the period's start, such as {@code 2026-12-07T00:00}, unique per quota and period
     * @param end when the next period starts
     */
    public record Window(String id, Instant end) {
    }

    public Quota {
        if (bytes < 1) {
            throw new IllegalArgumentException("a quota needs at least 1 byte");
        }
        Objects.requireNonNull(period, "period");
        Objects.requireNonNull(resetAt, "resetAt");
    }

    /** The period that {@code now} falls in. */
    public Window windowAt(Instant now) {
        ZonedDateTime time = now.atZone(ZoneOffset.UTC);
        LocalDate day = time.toLocalDate();
        ZonedDateTime start;
        if (period == Period.DAY) {
            start = day.atTime(resetAt).atZone(ZoneOffset.UTC);
            if (start.isAfter(time)) {
                start = start.minusDays(1);
            }
            return new Window(start.toLocalDateTime().toString(), start.plusDays(1).toInstant());
        }
        start = day.withDayOfMonth(1).atTime(resetAt).atZone(ZoneOffset.UTC);
        if (start.isAfter(time)) {
            start = start.minusMonths(1);
        }
        return new Window(start.toLocalDateTime().toString(), start.plusMonths(1).toInstant());
    }

    public String describe() {
        return bytes + " B per " + period.configName() + " from " + resetAt + " UTC";
    }
}
