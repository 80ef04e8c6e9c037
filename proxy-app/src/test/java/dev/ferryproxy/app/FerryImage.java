package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * docker/Dockerfile built with podman (buildah) from base images made of Debian's packages
 * (docker/test/base-image.sh), since no registry is reachable here: BUILD_IMAGE a JDK and Maven,
 * RUNTIME_IMAGE a bare Debian standing for debian:bookworm-slim. Built once per test JVM; across
 * runs buildah's layer cache and the Dockerfile's Maven cache mount keep a rebuild short.
 */
final class FerryImage {
    static final String NAME = "localhost/ferry-it:latest";
    /** Debian's packages of the build stage: what maven:3-eclipse-temurin-17 holds. */
    static final List<String> BUILD_PACKAGES = List.of("openjdk-17-jdk-headless", "maven");
    /** The machine's Java trust store: Debian's JDK in the build stage reads it at this path. */
    private static final Path TRUST_STORE = Path.of("/etc/ssl/certs/java/cacerts");

    private static String built;
    private static String runtimeBase;

    private FerryImage() {
    }

    /** The image's name, built on first use (the build's output is in target/ferry-image-build.log). */
    static synchronized String build(Podman podman) throws IOException {
        if (built != null) {
            return built;
        }
        Path root = podman.root();
        runtimeBase = baseImage(podman, "runtime");
        String buildBase = baseImage(podman, "build", BUILD_PACKAGES.toArray(String[]::new));
        List<String> args = new ArrayList<>(List.of("build",
                // the docker format keeps HEALTHCHECK (the OCI image format has no such field)
                "--format", "docker", "--pull=never",
                // the build stage's Maven reaches Maven Central through the host's network
                "--network", "host",
                "--build-arg", "BUILD_IMAGE=" + buildBase, "--build-arg", "RUNTIME_IMAGE=" + runtimeBase,
                "--file", root.resolve("docker/Dockerfile").toString(), "--tag", NAME));
        if (Files.isReadable(TRUST_STORE)) {
            // ...and trusts what this machine's own Maven trusts (the host's store may hold a CA that
            // Debian's ca-certificates lacks); mounted for the RUN steps only, not part of the image
            args.addAll(List.of("--volume", TRUST_STORE + ":" + TRUST_STORE + ":ro"));
        }
        args.add(root.toString());
        long start = System.nanoTime();
        Podman.Result result = podman.run(Duration.ofMinutes(20), args.toArray(String[]::new));
        Path log = root.resolve("proxy-app/target/ferry-image-build.log");
        Files.writeString(log, result.both(), StandardCharsets.UTF_8);
        assertThat(result.exitCode()).as("podman build (log: %s):\n%s", log, tail(result.both())).isZero();
        System.out.printf("ferry image %s built in %.1f s%n", NAME, (System.nanoTime() - start) / 1e9);
        // Earlier builds' unnamed images (stages and layers, ~0.6 GB a build) would pile up: those
        // older than an hour go, this build's stay as the next build's layer cache.
        podman.run(Duration.ofMinutes(2), "image", "prune", "--force", "--filter", "until=1h");
        built = NAME;
        return built;
    }

    /** The runtime stage's base image, as {@link #build} used it. */
    static synchronized String runtimeBase() {
        assertThat(runtimeBase).as("image built").isNotNull();
        return runtimeBase;
    }

    /** A base image from Debian's packages, made once and kept in podman's storage (see the script). */
    static String baseImage(Podman podman, String name, String... packages) throws IOException {
        List<String> command = new ArrayList<>(List.of(podman.root().resolve("docker/test/base-image.sh").toString(), name));
        command.addAll(List.of(packages));
        Podman.Result result = podman.run(Duration.ofMinutes(20), command);
        assertThat(result.exitCode()).as("base image %s: %s", name, tail(result.both())).isZero();
        String[] lines = result.stdout().split("\n");
        return lines[lines.length - 1].strip();
    }

    /** Bytes of an image's layers, as podman counts them. */
    static long size(Podman podman, String image) throws IOException {
        return Long.parseLong(podman.ok(Duration.ofSeconds(60), "image", "inspect", "--format", "{{.Size}}", image));
    }

    private static String tail(String text) {
        return text.length() <= 6000 ? text : "..." + text.substring(text.length() - 6000);
    }
}
