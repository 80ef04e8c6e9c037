package dev.ferryproxy.benchmarks.load;

import picocli.CommandLine.ITypeConverter;

import java.time.Duration;
import java.util.Locale;

/** Durations as Ferry writes them: {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, or ISO-8601 ({@code PT10S}). */
final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String text) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.startsWith("pt") || value.startsWith("p")) {
            return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
        }
        if (value.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
        }
        long amount = (long) (Double.parseDouble(value.substring(0, value.length() - 1)) * 1000);
        switch (value.charAt(value.length() - 1)) {
            case 's':
                return Duration.ofMillis(amount);
            case 'm':
                return Duration.ofMillis(amount * 60);
            case 'h':
                return Duration.ofMillis(amount * 3600);
            default:
                throw new IllegalArgumentException("duration '" + text + "' (expected e.g. 500ms, 10s, 2m, 1h, PT10S)");
        }
    }
}
