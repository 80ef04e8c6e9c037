package dev.ferryproxy.app;

import static dev.ferryproxy.app.ConfigurationIT.LISTENING;
import static dev.ferryproxy.app.ConfigurationIT.LOOPBACK_DNS;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, section 4: the client library used as a user uses it. The ferry-client artifact this
 * build made (jar, sources, javadoc, POM, and the parent POM) is installed into an empty local
 * Maven repository; a separate Maven project, written here, that depends on nothing but
 * {@code dev.ferryproxy:ferry-client} is compiled against it by a separate Maven run, and its
 * program fetches bytes from a loopback echo server through the real Ferry jar.
 *
 * <p>Everything else the nested builds need (Netty, SLF4J, Maven's plugins) is read from this
 * build's own local repository, declared to them as a file:// repository, so the test needs no
 * network once this build has run; Maven Central stays behind it for anything missing. Snapshots
 * are off for that repository: ferry-client can only come from the repository the test installed it into.
 */
class ClientLibraryIT {
    /** What the server pulls and a client user must not: none of these may be on the sample's class path. */
    private static final List<String> SERVER_ONLY = List.of(
            "bcrypt", "caffeine", "micrometer", "snakeyaml", "logback", "picocli", "HdrHistogram");
    private static final long MAVEN_TIMEOUT_SECONDS = 300;

    @TempDir
    Path work;

    @Test
    void aSeparateProjectBuildsAgainstTheInstalledArtifactAndTunnelsThroughFerry() throws Exception {
        Path repo = work.resolve("repository");
        Path settings = writeSettings(work.resolve("settings.xml"));
        installArtifacts(repo, settings);

        Path sample = writeSampleProject(work.resolve("sample"));
        Path classPathFile = sample.resolve("classpath.txt");
        runMaven(sample, repo, settings, "compile",
                "org.apache.maven.plugins:maven-dependency-plugin:3.11.0:build-classpath",
                "-Dmdep.outputFile=" + classPathFile, "-Dmdep.includeScope=runtime");

        String classPath = Files.readString(classPathFile, StandardCharsets.UTF_8).trim();
        List<String> entries = Arrays.asList(classPath.split(File.pathSeparator));
        assertThat(entries).as("ferry-client from the repository the test installed it into")
                .anyMatch(entry -> entry.startsWith(repo.toString()) && entry.endsWith(
                        "ferry-client-" + version() + ".jar"));
        for (String serverOnly : SERVER_ONLY) {
            assertThat(entries).as("a client user gets no %s", serverOnly)
                    .noneMatch(entry -> entry.toLowerCase().contains(serverOnly.toLowerCase()));
        }

        String message = "through ferry " + UUID.randomUUID();
        try (LoopbackTargets targets = new LoopbackTargets();
                FerryProcess ferry = FerryProcess.startJar("--listen", "127.0.0.1:0", "--dns-server", LOOPBACK_DNS)) {
            InetSocketAddress proxy = HostPort.parse(ferry.awaitStdout(LISTENING).group(1));
            Result fetched = run(sample, List.of(java(), "-cp",
                    sample.resolve("target/classes") + File.pathSeparator + classPath, "example.Fetch",
                    "socks5h://127.0.0.1:" + proxy.getPort(), "localhost",
                    Integer.toString(targets.echoPort()), message));
            assertThat(fetched.exitCode()).as("the sample program: %s", fetched.output()).isZero();
            assertThat(Files.readString(fetched.stdout(), StandardCharsets.UTF_8)).isEqualTo(message);
            // the tunnel really went through this Ferry: its access log names the target
            ferry.awaitStdout("^\\{.*\"requested\":\"localhost:" + targets.echoPort() + "\"");
        }
    }

    /** The parent POM (ferry-client's POM names it), then the jar with its POM, sources and javadoc. */
    private void installArtifacts(Path repo, Path settings) throws Exception {
        Path root = Path.of(System.getProperty("ferry.root", "..")).toAbsolutePath().normalize();
        Path clientTarget = root.resolve("ferry-client/target");
        String base = "ferry-client-" + version();
        Path jar = clientTarget.resolve(base + ".jar");
        assertThat(jar).as("ferry-client's jar: run mvn verify from the repository root").isRegularFile();
        String installFile = "org.apache.maven.plugins:maven-install-plugin:3.1.4:install-file";
        runMaven(work, repo, settings, installFile,
                "-Dfile=" + root.resolve("pom.xml"), "-DpomFile=" + root.resolve("pom.xml"), "-Dpackaging=pom");
        runMaven(work, repo, settings, installFile,
                "-Dfile=" + jar, "-DpomFile=" + root.resolve("ferry-client/pom.xml"),
                "-Dsources=" + clientTarget.resolve(base + "-sources.jar"),
                "-Djavadoc=" + clientTarget.resolve(base + "-javadoc.jar"));
        Path installed = repo.resolve("dev/ferryproxy/ferry-client/" + version());
        assertThat(installed.resolve(base + "-sources.jar")).isRegularFile();
        assertThat(installed.resolve(base + "-javadoc.jar")).isRegularFile();
    }

    private static Path writeSettings(Path file) throws IOException {
        String outer = Path.of(System.getProperty("maven.repo.outer",
                System.getProperty("user.home") + "/.m2/repository")).toUri().toString();
        String repository = "<id>outer-build</id><url>" + outer + "</url>"
                + "<releases><enabled>true</enabled><updatePolicy>never</updatePolicy></releases>"
                + "<snapshots><enabled>false</enabled></snapshots>";
        Files.writeString(file, """
                <settings>
                  <profiles>
                    <profile>
                      <id>outer-build</id>
                      <repositories><repository>%1$s</repository></repositories>
                      <pluginRepositories><pluginRepository>%1$s</pluginRepository></pluginRepositories>
                    </profile>
                  </profiles>
                  <activeProfiles><activeProfile>outer-build</activeProfile></activeProfiles>
                </settings>
                """.formatted(repository), StandardCharsets.UTF_8);
        return file;
    }

    /** A user's project: one dependency, the plugin versions this build uses (so they are at hand), one program. */
    private static Path writeSampleProject(Path dir) throws IOException {
        Path sources = Files.createDirectories(dir.resolve("src/main/java/example"));
        Files.writeString(dir.resolve("pom.xml"), """
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>example</groupId>
                  <artifactId>ferry-client-user</artifactId>
                  <version>1</version>
                  <properties>
                    <maven.compiler.release>17</maven.compiler.release>
                    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
                  </properties>
                  <dependencies>
                    <dependency>
                      <groupId>dev.ferryproxy</groupId>
                      <artifactId>ferry-client</artifactId>
                      <version>%s</version>
                    </dependency>
                  </dependencies>
                  <build>
                    <pluginManagement>
                      <plugins>
                        <plugin><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
                        <plugin><artifactId>maven-compiler-plugin</artifactId><version>3.16.0</version></plugin>
                      </plugins>
                    </pluginManagement>
                  </build>
                </project>
                """.formatted(version()), StandardCharsets.UTF_8);
        // the blocking example of docs/client-library.md
        Files.writeString(sources.resolve("Fetch.java"), """
                package example;

                import dev.ferryproxy.client.SocksClient;
                import dev.ferryproxy.client.SocksStreams;
                import dev.ferryproxy.client.SocksTarget;
                import java.nio.charset.StandardCharsets;

                /** Sends a message through a SOCKS proxy to an echo server and prints what comes back. */
                public final class Fetch {
                    public static void main(String[] args) throws Exception {
                        String proxy = args[0];
                        String host = args[1];
                        int port = Integer.parseInt(args[2]);
                        byte[] message = args[3].getBytes(StandardCharsets.UTF_8);
                        try (SocksClient client = SocksClient.builder().proxy(proxy).build();
                                SocksStreams tunnel = client.connectStreams(SocksTarget.of(host, port))) {
                            tunnel.output().write(message);
                            tunnel.shutdownOutput();
                            System.out.write(tunnel.input().readAllBytes());
                            System.out.flush();
                        }
                    }
                }
                """, StandardCharsets.UTF_8);
        return dir;
    }

    private void runMaven(Path dir, Path repo, Path settings, String... goals) throws Exception {
        List<String> command = new ArrayList<>(List.of(maven(), "-B", "-q", "-s", settings.toString(),
                "-Dmaven.repo.local=" + repo));
        command.addAll(List.of(goals));
        Result result = run(dir, command);
        assertThat(result.exitCode()).as("%s%n%s", String.join(" ", command), result.output()).isZero();
    }

    private Result run(Path dir, List<String> command) throws Exception {
        Path stdout = Files.createTempFile(work, "stdout", ".txt");
        Path stderr = Files.createTempFile(work, "stderr", ".txt");
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        if (!process.waitFor(MAVEN_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError(String.join(" ", command) + " still running after "
                    + MAVEN_TIMEOUT_SECONDS + " s");
        }
        return new Result(process.exitValue(), stdout, stderr);
    }

    private record Result(int exitCode, Path stdout, Path stderr) {
        String output() throws IOException {
            return Files.readString(stdout, StandardCharsets.UTF_8) + Files.readString(stderr, StandardCharsets.UTF_8);
        }
    }

    private static String version() {
        return System.getProperty("ferry.version", "0.1.0-SNAPSHOT");
    }

    private static String maven() {
        String home = System.getProperty("maven.home");
        return home != null ? Path.of(home, "bin", "mvn").toString() : "mvn";
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
