package dev.ferryproxy.app.docs;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The anchors GitHub gives a Markdown file's headings: lower case, punctuation other than
 * {@code -} and {@code _} dropped, spaces turned into {@code -}, and {@code -1}, {@code -2} after
 * a heading met again. Headings inside fenced code are none.
 */
final class MarkdownAnchors {
    private MarkdownAnchors() {
    }

    static Set<String> of(String markdown) {
        Set<String> anchors = new LinkedHashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean fenced = false;
        for (String line : markdown.split("\n", -1)) {
            if (line.startsWith("```")) {
                fenced = !fenced;
            } else if (!fenced && line.matches("#{1,6} .*")) {
                String slug = slug(line.substring(line.indexOf(' ') + 1));
                int count = seen.merge(slug, 1, Integer::sum);
                anchors.add(count == 1 ? slug : slug + "-" + (count - 1));
            }
        }
        return anchors;
    }

    static String slug(String heading) {
        String text = heading.strip().toLowerCase(Locale.ROOT);
        StringBuilder slug = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
                slug.append(c);
            } else if (c == ' ') {
                slug.append('-');
            }
        }
        return slug.toString();
    }
}
