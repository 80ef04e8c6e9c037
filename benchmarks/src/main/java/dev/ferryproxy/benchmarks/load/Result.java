package dev.ferryproxy.benchmarks.load;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one workload measured: named figures (the first is the headline), the parameters it ran
 * with, and its samples over time. Built once by a workload, then printed by {@link Results}.
 */
public final class Result {
    private final String mode;
    private final String label;
    private final Map<String, String> parameters = new LinkedHashMap<>();
    private final Map<String, Double> figures = new LinkedHashMap<>();
    private final Map<String, String> units = new LinkedHashMap<>();
    private final List<Sample> samples = new ArrayList<>();
    private String sampleUnit = "";
    private long errors;

    public Result(String mode, String label) {
        this.mode = mode;
        this.label = label;
    }

    /** The workload: throughput, connect-rate, request-response, idle-tunnels, slow-reader, udp-rate. */
    public String mode() {
        return mode;
    }

    /** What was measured, as the caller named it (e.g. "ferry"), for tables. */
    public String label() {
        return label;
    }

    public Result parameter(String name, Object value) {
        parameters.put(name, String.valueOf(value));
        return this;
    }

    /** Adds a figure; the first one added is the headline the comparison tables use. */
    public Result figure(String name, double value, String unit) {
        figures.put(name, value);
        units.put(name, unit);
        return this;
    }

    public Result sample(Sample sample) {
        samples.add(sample);
        return this;
    }

    public Result sampleUnit(String unit) {
        this.sampleUnit = unit;
        return this;
    }

    public Result errors(long count) {
        this.errors = count;
        return this;
    }

    public Map<String, String> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    public Map<String, Double> figures() {
        return Collections.unmodifiableMap(figures);
    }

    /** The figure's value; throws when the workload did not report it. */
    public double figure(String name) {
        Double value = figures.get(name);
        if (value == null) {
            throw new IllegalArgumentException("no figure '" + name + "' in " + figures.keySet());
        }
        return value;
    }

    public String unit(String figure) {
        return units.getOrDefault(figure, "");
    }

    public List<Sample> samples() {
        return Collections.unmodifiableList(samples);
    }

    public String sampleUnit() {
        return sampleUnit;
    }

    /** Operations that failed (a refused tunnel, a wrong echo, a lost datagram is not one). */
    public long errors() {
        return errors;
    }
}
