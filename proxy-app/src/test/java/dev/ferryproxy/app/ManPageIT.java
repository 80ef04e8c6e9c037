package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Issue 15, section 3: the man pages in docs/man are what the current command line makes, and
 * they render. picocli's ManPageGenerator writes AsciiDoc for ferry and each subcommand from the
 * real jar (so the pages carry its version); Debian's asciidoctor turns it into troff
 * ({@code -b manpage}, {@code -a reproducible}: no date, so the same code gives the same bytes);
 * the result must equal docs/man/*.1, and each committed page must render with {@code man -l}
 * (and groff, with every warning on, must say nothing) showing every option of its command.
 *
 * <p>After a change to an option or a description, regenerate the pages with
 * {@code mvn -B verify -pl ferry-client,proxy-core,proxy-app -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false
 * -Dit.test=ManPageIT -Dferry.man.update=true} and commit docs/man.
 */
class ManPageIT {
    private static final Path MAN = Path.of(System.getProperty("ferry.root", "..")).resolve("docs/man");

    @TempDir
    Path work;

    @Test
    void docsManHoldsThePagesTheCommandLineMakes() throws Exception {
        Path adoc = Files.createDirectories(work.resolve("adoc"));
        Path troff = Files.createDirectories(work.resolve("man"));
        String codegen = Path.of(ManPageGenerator.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString();
        run(work, List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", FerryProcess.jar() + File.pathSeparator + codegen, ManPageGenerator.class.getName(),
                "-d", adoc.toString(), FerryCommand.class.getName()));
        List<String> asciidoctor = new ArrayList<>(List.of("asciidoctor", "-b", "manpage", "-a", "reproducible",
                "-D", troff.toString()));
        asciidoctor.addAll(names(adoc, ".adoc").stream().map(name -> adoc.resolve(name).toString()).toList());
        run(work, asciidoctor);

        if (Boolean.getBoolean("ferry.man.update")) {
            Files.createDirectories(MAN);
            for (String name : names(MAN, ".1")) {
                Files.delete(MAN.resolve(name));
            }
            for (String name : names(troff, ".1")) {
                Files.copy(troff.resolve(name), MAN.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }

        String regenerate = "docs/man is out of date: regenerate it as ManPageIT's comment says";
        assertThat(names(MAN, ".1")).as(regenerate).isEqualTo(names(troff, ".1"));
        for (String name : names(troff, ".1")) {
            assertThat(Files.readString(MAN.resolve(name), StandardCharsets.UTF_8)).as(regenerate + " (%s)", name)
                    .isEqualTo(Files.readString(troff.resolve(name), StandardCharsets.UTF_8));
        }
    }

    @Test
    void everyPageRendersWithEveryOptionOfItsCommand() throws Exception {
        CommandSpec ferry = new CommandLine(new FerryCommand()).getCommandSpec();
        Map<String, CommandSpec> pages = new java.util.LinkedHashMap<>();
        pages.put("ferry.1", ferry);
        ferry.subcommands().forEach((name, sub) -> pages.put("ferry-" + name + ".1", sub.getCommandSpec()));
        assertThat(names(MAN, ".1")).containsExactlyInAnyOrderElementsOf(pages.keySet());

        for (Map.Entry<String, CommandSpec> page : pages.entrySet()) {
            Path file = MAN.resolve(page.getKey());
            Result groff = run(work, List.of("groff", "-man", "-Tutf8", "-ww", "-z", file.toString()));
            assertThat(groff.stderr()).as("groff's warnings on %s", page.getKey()).isEmpty();

            Result man = run(work, List.of("man", "-l", file.toString()),
                    Map.of("MANPAGER", "cat", "MANWIDTH", "100"));
            String text = man.stdout();
            assertThat(text).as(page.getKey()).contains("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS");
            for (OptionSpec option : page.getValue().options()) {
                assertThat(text).as("%s names %s", page.getKey(), option.longestName()).contains(option.longestName());
            }
            if (page.getValue() == ferry) {
                assertThat(text).as("the server's page lists every command")
                        .contains(ferry.subcommands().keySet());
            }
        }
    }

    private static List<String> names(Path dir, String suffix) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return List.copyOf(new TreeSet<>(files.map(file -> file.getFileName().toString())
                    .filter(name -> name.endsWith(suffix)).toList()));
        }
    }

    private Result run(Path dir, List<String> command) throws Exception {
        return run(dir, command, Map.of());
    }

    private Result run(Path dir, List<String> command, Map<String, String> environment) throws Exception {
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().putAll(environment);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new AssertionError(command.get(0) + " cannot be run (Debian packages: asciidoctor, groff-base,"
                    + " man-db): " + e.getMessage(), e);
        }
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s ended", command).isTrue();
        Result result = new Result(process.exitValue(), Files.readString(out), Files.readString(err));
        assertThat(result.exitCode()).as("%s%n%s", String.join(" ", command), result.stderr()).isZero();
        return result;
    }

    private record Result(int exitCode, String stdout, String stderr) {
    }
}
