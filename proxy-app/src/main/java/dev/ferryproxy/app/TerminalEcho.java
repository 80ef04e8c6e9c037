package dev.ferryproxy.app;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Turns the terminal's echo off while a password is typed, for when standard input is a terminal
 * but {@link System#console()} is null (Java 17 gives no console when standard output is
 * redirected, as in {@code ferry passwd NAME >> users}).
 */
final class TerminalEcho implements AutoCloseable {
    private TerminalEcho() {
    }

    /** Whether standard input is a terminal (Linux: /proc/self/fd/0 names a tty). */
    static boolean stdinIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/0")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /**
     * @throws IllegalStateException when echo cannot be turned off
     */
    static TerminalEcho off() {
        stty("-echo");
        return new TerminalEcho();
    }

    private static void stty(String setting) {
        try {
            Process stty = new ProcessBuilder("stty", setting)
                    .redirectInput(new File("/dev/tty"))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!stty.waitFor(10, TimeUnit.SECONDS) || stty.exitValue() != 0) {
                throw new IllegalStateException("cannot turn off the terminal's echo (stty " + setting + " failed)");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot turn off the terminal's echo (" + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while turning off the terminal's echo");
        }
    }

    /** Turns echo back on. */
    @Override
    public void close() {
        stty("echo");
    }
}
