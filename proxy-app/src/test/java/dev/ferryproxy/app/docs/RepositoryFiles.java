package dev.ferryproxy.app.docs;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository's root is when a test runs in a module's directory (Maven) or at the root. */
final class RepositoryFiles {
    private RepositoryFiles() {
    }

    static Path root() {
        Path here = Path.of("").toAbsolutePath();
        Path root = Files.isDirectory(here.resolve("docs")) ? here : here.getParent();
        if (!Files.isRegularFile(root.resolve("README.md")) || !Files.isDirectory(root.resolve("docs"))) {
            throw new AssertionError("no README.md and docs/ in " + here + " or its parent");
        }
        return root;
    }
}
