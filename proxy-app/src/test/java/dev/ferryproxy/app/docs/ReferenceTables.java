package dev.ferryproxy.app.docs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names a Markdown reference page lists: for each heading, the code spans in the first cell of
 * each table row under it, first word only ({@code `--listen HOST:PORT`} names {@code --listen}).
 * Text outside tables, and tables inside fenced code, name nothing.
 */
final class ReferenceTables {
    private static final Pattern CODE_SPAN = Pattern.compile("`([^`]+)`");

    /** A heading and what its tables' first cells name, in page order. */
    record Section(int level, String heading, List<String> names) {
    }

    private ReferenceTables() {
    }

    static List<Section> read(String markdown) {
        List<Section> sections = new ArrayList<>();
        Section current = new Section(0, "", new ArrayList<>());
        sections.add(current);
        boolean fenced = false;
        for (String line : markdown.split("\n", -1)) {
            if (line.startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                continue;
            }
            if (line.startsWith("#")) {
                int level = line.indexOf(' ');
                current = new Section(level, line.substring(level + 1).strip(), new ArrayList<>());
                sections.add(current);
            } else if (line.startsWith("|") && !line.matches("\\|[-| :]+\\|?\\s*")) {
                String firstCell = line.substring(1).split("(?<!\\\\)\\|", 2)[0];
                Matcher span = CODE_SPAN.matcher(firstCell);
                while (span.find()) {
                    current.names().add(span.group(1).strip().split("\\s+")[0]);
                }
            }
        }
        return sections;
    }

    /**
     * The names of every section from the level-2 heading {@code heading} to the next level-2
     * heading, grouped by the nearest heading above them.
     */
    static Map<String, List<String>> under(List<Section> sections, String heading) {
        Map<String, List<String>> names = new LinkedHashMap<>();
        boolean inside = false;
        for (Section section : sections) {
            if (section.level() <= 2 && section.level() > 0) {
                inside = section.heading().equals(heading);
            }
            if (inside) {
                names.computeIfAbsent(section.heading(), h -> new ArrayList<>()).addAll(section.names());
            }
        }
        if (names.isEmpty()) {
            throw new AssertionError("no section '## " + heading + "'");
        }
        return names;
    }
}
