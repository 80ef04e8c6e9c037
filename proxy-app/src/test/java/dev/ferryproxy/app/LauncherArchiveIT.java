package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Random;

/**
 * The {@code ./ferry} launcher's class-data archive (AppCDS): whatever state the archive is in
 * (missing, older than the jar, truncated, not an archive at all), the launcher starts a server
 * that answers, and leaves a usable archive behind. Each test gives the launcher an archive path
 * of its own ({@code FERRY_CDS_ARCHIVE}), so the archive next to the jar is not touched.
 */
class LauncherArchiveIT {
    @TempDir
    Path dir;

    private Path archive() {
        return dir.resolve("ferry.jsa");
    }

    private Path stamp() {
        return dir.resolve("ferry.jsa.ok");
    }

    @Test
    void missingArchiveIsMadeAndTheServerStarts() throws Exception {
        assertThat(archive()).doesNotExist();
        serverStartsAndAnswers();
        assertThat(archive()).isRegularFile();
        assertThat(stamp()).isRegularFile();
        assertThat(Files.size(archive())).isGreaterThan(1_000_000);
        // the training run's temporary files are gone
        try (var files = Files.list(dir)) {
            assertThat(files.map(path -> path.getFileName().toString()))
                    .containsExactlyInAnyOrder("ferry.jsa", "ferry.jsa.ok");
        }
    }

    @Test
    void archiveOlderThanTheJarIsMadeAgain() throws Exception {
        makeArchive();
        FileTime beforeJar = FileTime.from(Files.getLastModifiedTime(FerryProcess.jar()).toInstant().minus(Duration.ofHours(1)));
        Files.setLastModifiedTime(archive(), beforeJar);

        serverStartsAndAnswers();

        assertThat(Files.getLastModifiedTime(archive())).isGreaterThan(Files.getLastModifiedTime(FerryProcess.jar()));
    }

    /** A truncated archive crashes the JDK 17 JVM (SIGBUS while mapping it): it must never reach the JVM. */
    @Test
    void truncatedArchiveIsNotUsed() throws Exception {
        makeArchive();
        long size = Files.size(archive());
        try (RandomAccessFile file = new RandomAccessFile(archive().toFile(), "rw")) {
            file.setLength(size / 2);
        }

        serverStartsAndAnswers();

        assertThat(Files.size(archive())).as("made again").isGreaterThan(size / 2);
    }

    @Test
    void fileThatIsNoArchiveDoesNotStopTheServer() throws Exception {
        byte[] garbage = new byte[100_000];
        new Random(42).nextBytes(garbage);
        Files.write(archive(), garbage);

        serverStartsAndAnswers();
    }

    @Test
    void serverStartsWithoutArchiveWhereNoneCanBeWritten() throws Exception {
        Path nowhere = dir.resolve("missing-directory").resolve("ferry.jsa");
        try (FerryProcess ferry = FerryProcess.launcherCommand("--listen", "127.0.0.1:0", "--access-log", "off")
                .env("FERRY_CDS_ARCHIVE", nowhere.toString()).start()) {
            answersSocks5(listeningPort(ferry));
            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
        }
        assertThat(nowhere).doesNotExist();
    }

    private void makeArchive() throws Exception {
        try (FerryProcess make = FerryProcess.launcherCommand().env("FERRY_CDS", "make")
                .env("FERRY_CDS_ARCHIVE", archive().toString()).start()) {
            assertThat(make.awaitExit()).as("FERRY_CDS=make; stderr: %s", make.stderr()).isZero();
        }
        assertThat(archive()).isRegularFile();
    }

    private void serverStartsAndAnswers() throws Exception {
        try (FerryProcess ferry = FerryProcess.launcherCommand("--listen", "127.0.0.1:0", "--access-log", "off")
                .env("FERRY_CDS_ARCHIVE", archive().toString()).start()) {
            answersSocks5(listeningPort(ferry));
            ferry.terminate();
            assertThat(ferry.awaitExit()).as("stderr: %s", ferry.stderr()).isZero();
        }
    }

    private static int listeningPort(FerryProcess ferry) throws InterruptedException {
        return Integer.parseInt(ferry.awaitStdout("listening on 127\\.0\\.0\\.1:(\\d+) \\(SOCKS").group(1));
    }

    /** A SOCKS5 greeting offering "no authentication" gets the server's method selection. */
    private static void answersSocks5(int port) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(new byte[] {5, 1, 0});
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            assertThat(new byte[] {in.readByte(), in.readByte()}).containsExactly(5, 0);
        }
    }
}
