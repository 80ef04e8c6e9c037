package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, section 3: {@code ferry completion} (the real jar) prints a bash script that bash
 * accepts, and that, sourced into a real bash, completes subcommands, options of the server and
 * of a subcommand, and an option's values, the way bash's programmable completion calls it
 * (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT, then the function {@code complete -p ferry} names).
 */
class CompletionIT {
    @TempDir
    static Path dir;
    private static Path script;

    @BeforeAll
    static void printScript() throws Exception {
        script = dir.resolve("ferry-completion.bash");
        try (FerryProcess ferry = FerryProcess.startJar("completion")) {
            assertThat(ferry.awaitExit()).isZero();
            Files.writeString(script, ferry.stdout() + "\n", StandardCharsets.UTF_8);
        }
        assertThat(Files.readString(script)).contains("complete -F");
    }

    @Test
    void bashAcceptsTheScript() throws Exception {
        Result syntax = bash("-n", script.toString());
        assertThat(syntax.exitCode()).as(syntax.stderr()).isZero();
    }

    @Test
    void completesASubcommand() throws Exception {
        assertThat(complete("ferry", "con")).containsExactly("connect");
        assertThat(complete("ferry", "c")).contains("connect", "check", "completion");
    }

    @Test
    void completesTheServersOptions() throws Exception {
        assertThat(complete("ferry", "--lis")).containsExactly("--listen");
        assertThat(complete("ferry", "--log-")).containsExactlyInAnyOrder("--log-level", "--log-format");
    }

    @Test
    void completesASubcommandsOptions() throws Exception {
        assertThat(complete("ferry", "connect", "--pro")).containsExactly("--proxy");
        assertThat(complete("ferry", "health", "--")).contains("--url", "--timeout", "--help");
    }

    @Test
    void completesTheLogFormats() throws Exception {
        assertThat(complete("ferry", "--log-format", "")).containsExactlyInAnyOrder("text", "json");
        assertThat(complete("ferry", "--log-format", "j")).containsExactly("json");
    }

    /** What bash's completion offers for the last word of {@code words}, as COMPREPLY holds it. */
    private static List<String> complete(String... words) throws Exception {
        StringBuilder array = new StringBuilder();
        for (String word : words) {
            array.append(" '").append(word).append('\'');
        }
        String line = String.join(" ", words);
        String program = "source '" + script + "'\n"
                + "function_name=$(complete -p ferry | sed -E 's/.* -F ([^ ]+) .*/\\1/')\n"
                + "COMP_WORDS=(" + array + " )\n"
                + "COMP_CWORD=" + (words.length - 1) + "\n"
                + "COMP_LINE='" + line + "'\n"
                + "COMP_POINT=${#COMP_LINE}\n"
                + "\"$function_name\" ferry '" + words[words.length - 1] + "' '" + words[words.length - 2] + "'\n"
                + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
        Result result = bash("-c", program);
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        return result.stdout().lines().filter(candidate -> !candidate.isEmpty()).toList();
    }

    private static Result bash(String... args) throws Exception {
        Path out = Files.createTempFile(dir, "bash", ".out");
        Path err = Files.createTempFile(dir, "bash", ".err");
        List<String> command = new java.util.ArrayList<>(List.of("bash", "--norc", "--noprofile"));
        command.addAll(List.of(args));
        Process bash = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(bash.waitFor(30, TimeUnit.SECONDS)).as("bash ended").isTrue();
        return new Result(bash.exitValue(), Files.readString(out), Files.readString(err));
    }

    private record Result(int exitCode, String stdout, String stderr) {
    }
}
