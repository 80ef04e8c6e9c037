package dev.ferryproxy.benchmarks.load;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Map;

/**
 * Prints a {@link Result}: as text for people, as one JSON object per line, or as CSV rows
 * ({@code mode,label,figure,value,unit}), and appends the JSON line to a file for scripts.
 */
public final class Results {
    /** How results are printed on standard output. */
    public enum Format { TEXT, JSON, CSV }

    private Results() {
    }

    public static void print(Result result, Format format, PrintStream out) {
        switch (format) {
            case JSON -> out.println(json(result));
            case CSV -> out.print(csv(result));
            default -> out.print(text(result));
        }
        out.flush();
    }

    /** Appends the result's JSON line to {@code file}, creating it if needed. */
    public static void append(Result result, Path file) throws IOException {
        Files.writeString(file, json(result) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    public static String text(Result result) {
        StringBuilder sb = new StringBuilder();
        sb.append(result.mode()).append(" [").append(result.label()).append("]");
        result.parameters().forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        sb.append('\n');
        if (!result.samples().isEmpty()) {
            sb.append("  samples (").append(result.sampleUnit()).append("):");
            for (Sample s : result.samples()) {
                sb.append(String.format(Locale.ROOT, " %s%.1fs=%s", s.warmup() ? "w" : "", s.elapsedSeconds(),
                        number(s.value())));
            }
            sb.append('\n');
        }
        for (Map.Entry<String, Double> figure : result.figures().entrySet()) {
            sb.append(String.format(Locale.ROOT, "  %-24s %14s %s%n", figure.getKey(), number(figure.getValue()),
                    result.unit(figure.getKey())));
        }
        sb.append(String.format(Locale.ROOT, "  %-24s %14d%n", "errors", result.errors()));
        return sb.toString();
    }

    public static String csv(Result result) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Double> figure : result.figures().entrySet()) {
            sb.append(result.mode()).append(',').append(result.label()).append(',').append(figure.getKey()).append(',')
                    .append(number(figure.getValue())).append(',').append(result.unit(figure.getKey())).append('\n');
        }
        sb.append(result.mode()).append(',').append(result.label()).append(",errors,").append(result.errors())
                .append(",count\n");
        return sb.toString();
    }

    public static String json(Result result) {
        StringBuilder sb = new StringBuilder("{");
        field(sb, "mode", result.mode()).append(',');
        field(sb, "label", result.label()).append(",\"parameters\":{");
        boolean first = true;
        for (Map.Entry<String, String> p : result.parameters().entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            field(sb, p.getKey(), p.getValue());
        }
        sb.append("},\"figures\":{");
        first = true;
        for (Map.Entry<String, Double> f : result.figures().entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            quote(sb, f.getKey()).append(':').append(jsonNumber(f.getValue()));
        }
        sb.append("},\"units\":{");
        first = true;
        for (String name : result.figures().keySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            field(sb, name, result.unit(name));
        }
        sb.append("},\"errors\":").append(result.errors()).append(',');
        field(sb, "sampleUnit", result.sampleUnit()).append(",\"samples\":[");
        first = true;
        for (Sample s : result.samples()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            sb.append("{\"t\":").append(jsonNumber(s.elapsedSeconds())).append(",\"warmup\":").append(s.warmup())
                    .append(",\"value\":").append(jsonNumber(s.value())).append('}');
        }
        return sb.append("]}").toString();
    }

    private static StringBuilder field(StringBuilder sb, String name, String value) {
        quote(sb, name).append(':');
        return quote(sb, value);
    }

    private static StringBuilder quote(StringBuilder sb, String text) {
        sb.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"');
    }

    private static String jsonNumber(double value) {
        return Double.isFinite(value) ? number(value) : "null";
    }

    /** Integers without a fraction, others with up to three decimals. */
    static String number(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return String.format(Locale.ROOT, "%.3f", value);
    }
}
