package dev.ferryproxy.app;

import java.util.Locale;

/** Byte counts as the configuration writes them: {@code 65536}, {@code 64KiB}, {@code 10MiB}, {@code 2GiB}, {@code 1TiB}. */
public final class ByteSizes {
    private ByteSizes() {
    }

    /**
     * @throws IllegalArgumentException naming the text and what would be accepted
     */
    public static long parse(String text) {
        String trimmed = text.trim();
        int digits = 0;
        while (digits < trimmed.length() && Character.isDigit(trimmed.charAt(digits))) {
            digits++;
        }
        if (digits == 0 || digits > 15) {
            throw new IllegalArgumentException("'" + text + "' is not a byte count (expected e.g. 65536, 64KiB, 10MiB, 2GiB)");
        }
        long number = Long.parseLong(trimmed.substring(0, digits));
        String unit = trimmed.substring(digits).trim().toLowerCase(Locale.ROOT);
        long factor = switch (unit) {
            case "", "b" -> 1L;
            case "kib" -> 1L << 10;
            case "mib" -> 1L << 20;
            case "gib" -> 1L << 30;
            case "tib" -> 1L << 40;
            default -> throw new IllegalArgumentException("'" + text + "' has an unknown unit '" + unit
                    + "' (expected B, KiB, MiB, GiB or TiB)");
        };
        if (number > Long.MAX_VALUE / factor) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        return number * factor;
    }
}
