package dev.ferryproxy.app.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every relative link in README.md and in docs/ (Markdown links and images, outside fenced and
 * inline code) leads to a file or directory of the repository, and a {@code #fragment} to a
 * heading of the Markdown file it names.
 */
class DocumentationLinksTest {
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
    private static final Pattern INLINE_CODE = Pattern.compile("`[^`]*`");

    @Test
    void everyRelativeLinkResolves() throws IOException {
        Path root = RepositoryFiles.root();
        List<Path> pages = new ArrayList<>();
        pages.add(root.resolve("README.md"));
        try (Stream<Path> docs = Files.walk(root.resolve("docs"))) {
            docs.filter(path -> path.toString().endsWith(".md")).sorted().forEach(pages::add);
        }

        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path page : pages) {
            for (String target : links(Files.readString(page, StandardCharsets.UTF_8))) {
                if (target.matches("[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
                    continue; // https:, mailto: and the like: not a file here
                }
                checked++;
                String problem = problem(page, target);
                if (problem != null) {
                    broken.add(root.relativize(page) + ": (" + target + "): " + problem);
                }
            }
        }
        assertThat(checked).as("relative links found").isGreaterThan(20);
        assertThat(broken).as("broken relative links").isEmpty();
    }

    private static List<String> links(String markdown) {
        List<String> targets = new ArrayList<>();
        boolean fenced = false;
        for (String line : markdown.split("\n", -1)) {
            if (line.startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                continue;
            }
            Matcher link = LINK.matcher(INLINE_CODE.matcher(line).replaceAll(""));
            while (link.find()) {
                targets.add(link.group(1));
            }
        }
        return targets;
    }

    /** What is wrong with a link from {@code page}, or null when it resolves. */
    private static String problem(Path page, String target) {
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        String fragment = hash < 0 ? null : target.substring(hash + 1);
        Path resolved = file.isEmpty() ? page
                : page.getParent().resolve(URLDecoder.decode(file, StandardCharsets.UTF_8)).normalize();
        if (!Files.exists(resolved)) {
            return "no such file " + resolved;
        }
        if (fragment == null) {
            return null;
        }
        if (!resolved.toString().endsWith(".md")) {
            return "a fragment on a file that is not Markdown";
        }
        try {
            if (!MarkdownAnchors.of(Files.readString(resolved, StandardCharsets.UTF_8)).contains(fragment)) {
                return "no heading with the anchor #" + fragment + " in " + resolved.getFileName();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return null;
    }
}
