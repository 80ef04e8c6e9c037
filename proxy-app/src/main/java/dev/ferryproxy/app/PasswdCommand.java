package dev.ferryproxy.app;

import dev.ferryproxy.app.config.UserNames;
import dev.ferryproxy.auth.PasswordHashing;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import java.io.ByteArrayOutputStream;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code ferry passwd NAME}: asks for a password and prints {@code NAME:BCRYPT-HASH}, a line for
 * the users file. On a terminal the password is read twice, without echo; otherwise one line is
 * read from standard input, so that scripts can pipe it in.
 */
@Command(name = "passwd",
        mixinStandardHelpOptions = true,
        versionProvider = FerryVersion.class,
        usageHelpAutoWidth = true,
        description = {
            "Reads a password and prints NAME:HASH (bcrypt), a line for the users file (auth.usersFile).",
            "On a terminal the password is asked for twice, without echo; otherwise the first line of standard"
                    + " input is the password. Exits 1 when the password is empty or the two differ, 2 when NAME"
                    + " cannot be used."
        })
final class PasswdCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", converter = NameConverter.class,
            description = "The user name: 1 to 255 bytes, no ':', spaces or control characters.")
    private String name;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        Console console = System.console();
        byte[] password;
        if (console != null) {
            password = readFromConsole(console, err);
        } else if (TerminalEcho.stdinIsTerminal()) {
            // a terminal, with standard output redirected: ferry passwd NAME >> users
            password = readFromTerminal(err);
        } else {
            password = readLine(System.in);
        }
        if (password == null) {
            return 1;
        }
        try {
            String problem = UserPassword.passwordProblem(password);
            if (problem != null) {
                err.println("ferry passwd: " + problem + "; nothing printed");
                return 1;
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(name + ":" + PasswordHashing.hash(password));
            out.flush();
            return 0;
        } finally {
            Arrays.fill(password, (byte) 0);
        }
    }

    /** Asks twice; null (after saying why) when the two differ or input ended. */
    private byte[] readFromConsole(Console console, PrintWriter err) {
        char[] first = console.readPassword("Password for %s: ", name);
        if (first == null) {
            err.println("ferry passwd: no password given");
            return null;
        }
        char[] second = console.readPassword("Retype the password: ");
        try {
            if (second == null || !Arrays.equals(first, second)) {
                err.println("ferry passwd: the passwords differ; nothing printed");
                return null;
            }
            return utf8(first);
        } finally {
            Arrays.fill(first, '\0');
            if (second != null) {
                Arrays.fill(second, '\0');
            }
        }
    }

    /** Asks twice on standard error, with the terminal's echo off; null (after saying why) on failure. */
    private byte[] readFromTerminal(PrintWriter err) throws IOException {
        byte[] first;
        byte[] second;
        try (TerminalEcho echoOff = TerminalEcho.off()) {
            err.print("Password for " + name + ": ");
            err.flush();
            first = readLine(System.in);
            err.print("\nRetype the password: ");
            err.flush();
            second = readLine(System.in);
            err.println();
            err.flush();
        } catch (IllegalStateException e) {
            err.println("ferry passwd: " + e.getMessage() + "; pipe the password in instead");
            return null;
        }
        boolean same = Arrays.equals(first, second);
        Arrays.fill(second, (byte) 0);
        if (!same) {
            Arrays.fill(first, (byte) 0);
            err.println("ferry passwd: the passwords differ; nothing printed");
            return null;
        }
        return first;
    }

    /** The bytes of the first line of {@code in}, without its line end; an empty array when input is empty. */
    static byte[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            line.write(b);
        }
        byte[] bytes = line.toByteArray();
        if (bytes.length > 0 && bytes[bytes.length - 1] == '\r') {
            bytes = Arrays.copyOf(bytes, bytes.length - 1);
        }
        return bytes;
    }

    private static byte[] utf8(char[] chars) {
        ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        Arrays.fill(encoded.array(), (byte) 0);
        return bytes;
    }

    static final class NameConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String problem = UserNames.problem(value);
            if (problem != null) {
                throw new TypeConversionException(problem);
            }
            return value;
        }
    }
}
