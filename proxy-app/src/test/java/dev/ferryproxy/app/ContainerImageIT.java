package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Volume;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.utility.DockerImageName;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The image of docker/Dockerfile, built and run: it serves SOCKS5 to users of a mounted users
 * file, its HEALTHCHECK passes (and fails while it drains), SIGTERM drains it (an open tunnel
 * runs on, then it exits 0), it runs as its non-root user with the Kubernetes manifest's read-only
 * root file system, no capabilities and no privilege escalation, and it is small.
 *
 * <p>Containers run through Testcontainers, against whatever Docker API DOCKER_HOST names: here,
 * podman's ({@code podman system service}, which ./run-tests starts, with Ryuk off since its image
 * cannot be pulled). Where that API is podman's, the image is built with podman's command line
 * (FerryImage: Docker's build API cannot mount the machine's trust store into the build, which its
 * Maven needs to reach Maven Central here), and the HEALTHCHECK is run with {@code podman
 * healthcheck run}, since podman schedules health checks with systemd, which these machines lack.
 * Against a Docker engine, Testcontainers builds the image with the Dockerfile's default base
 * images. Without a Docker API (DOCKER_HOST), JUnit reports the tests as skipped.
 *
 * <p>Every container uses the host's network (the setup verified here) and loopback addresses
 * only, on ports picked here, so that nothing collides with other tests.
 */
@Tag("containers")
class ContainerImageIT {
    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+) \\(SOCKS");
    private static final String USER = "demo:demo-password";

    private static Path root;
    /** podman's command line, when the Docker API is podman's (the image is then in its storage). */
    private static Optional<Podman> podman;
    private static String image;
    private static LoopbackTargets targets;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @BeforeAll
    static void buildImage() throws Exception {
        Path here = Path.of("").toAbsolutePath();
        root = Files.isRegularFile(here.resolve("docker/Dockerfile")) ? here : here.getParent();
        podman = Podman.find(root);
        boolean dockerApi = DockerClientFactory.instance().isDockerAvailable();
        Assumptions.assumeTrue(dockerApi, podman.isPresent()
                ? "podman is installed but no Docker API answers: start `podman system service` and set DOCKER_HOST"
                        + " (./run-tests does both; docs/containers.md)"
                : "no container engine: neither a Docker API (DOCKER_HOST) nor podman");
        // a Docker engine beside podman: then everything goes through Docker's API
        boolean podmanApi = DockerClientFactory.instance().client().versionCmd().exec().getComponents().stream()
                .anyMatch(component -> component.getName().contains("Podman"));
        podman = podman.filter(found -> podmanApi);
        if (podman.isPresent()) {
            image = FerryImage.build(podman.get());
        } else {
            image = new ImageFromDockerfile("localhost/ferry-it", false)
                    .withFileFromPath(".", root)
                    .withDockerfile(root.resolve("docker/Dockerfile"))
                    .get();
        }
        targets = new LoopbackTargets();
    }

    @AfterAll
    static void stopTargets() throws IOException {
        if (targets != null) {
            targets.close();
        }
    }

    /**
     * The image's own configuration, with one change: loopback destinations allowed (it denies
     * them, and on the host's network the test's targets are on loopback). Users, rules and the
     * rest are the image's.
     */
    private Path configAllowingLoopbackTargets() throws IOException {
        String config = Files.readString(root.resolve("docker/ferry.container.yaml"), StandardCharsets.UTF_8);
        String allowing = config.replace("\"127.0.0.0/8\", ", "");
        assertThat(allowing).as("the image's configuration denies 127.0.0.0/8").isNotEqualTo(config);
        return Files.writeString(dir.resolve("ferry.yaml"), allowing, StandardCharsets.UTF_8);
    }

    /** A Ferry container on the host's network: SOCKS on an ephemeral loopback port, admin on {@code admin}. */
    private GenericContainer<?> ferry(int admin, Path config, String... extra) {
        List<String> command = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:" + admin,
                "--config", "/etc/ferry/ferry.yaml"));
        command.addAll(List.of(extra));
        // bind mounts set directly: Testcontainers' own (withFileSystemBind) first tries to pull an
        // alpine image to check that mounts work, which no registry here can serve
        List<Bind> binds = new ArrayList<>();
        binds.add(new Bind(root.resolve("users.example").toString(), new Volume("/etc/ferry/users"), AccessMode.ro));
        if (config != null) {
            binds.add(new Bind(config.toString(), new Volume("/etc/ferry/ferry.yaml"), AccessMode.ro));
        }
        return new GenericContainer<>(DockerImageName.parse(image))
                .withNetworkMode("host")
                .withEnv("FERRY_HEALTH_PORT", Integer.toString(admin))
                .withCommand(command.toArray(String[]::new))
                // deployment.yaml: readOnlyRootFilesystem with an emptyDir on /tmp, capabilities
                // dropped, allowPrivilegeEscalation false
                .withCreateContainerCmdModifier(create -> create.getHostConfig()
                        .withBinds(binds)
                        .withReadonlyRootfs(true)
                        .withTmpFs(Map.of("/tmp", "rw,size=64m"))
                        .withCapDrop(Capability.ALL)
                        .withSecurityOpts(List.of("no-new-privileges")))
                .waitingFor(Wait.forLogMessage(".*admin listening on.*\\n", 1).withStartupTimeout(Duration.ofSeconds(90)));
    }

    private static int socksPort(GenericContainer<?> ferry) {
        Matcher listening = LISTENING.matcher(ferry.getLogs());
        assertThat(listening.find()).as("SOCKS listener in the log:\n%s", ferry.getLogs()).isTrue();
        return Integer.parseInt(listening.group(1));
    }

    /** Runs the image's HEALTHCHECK once; true when it passed. */
    private static boolean healthCheckPasses(GenericContainer<?> ferry) throws IOException {
        if (podman.isPresent()) {
            return podman.get().run(Duration.ofSeconds(30), "healthcheck", "run", ferry.getContainerId()).exitCode() == 0;
        }
        return "healthy".equals(ferry.getCurrentContainerInfo().getState().getHealth().getStatus());
    }

    private int ready(int admin) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/health/ready"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Test
    void servesSocks5ToItsUsersPassesItsHealthCheckAndDrainsOnSigterm() throws Exception {
        int admin = freePort();
        try (GenericContainer<?> ferry = ferry(admin, configAllowingLoopbackTargets(), "--drain-delay", "500ms")) {
            ferry.start();
            int socks = socksPort(ferry);
            await("HEALTHCHECK passes").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .until(() -> healthCheckPasses(ferry));

            String proxy = "127.0.0.1:" + socks;
            assertThat(Curl.socks5(proxy, USER, targets.httpUrl()).output()).isEqualTo(LoopbackTargets.BODY);
            assertThat(Curl.socks5(proxy, null, targets.httpUrl()).exitCode()).as("no password, no proxy").isNotZero();
            assertThat(Curl.socks5(proxy, "demo:wrong", targets.httpUrl()).exitCode()).as("wrong password").isNotZero();

            // the server runs as the image's user, not root, and cannot write outside /tmp
            ExecResult uid = ferry.execInContainer("sh", "-c", "id -u; sed -n 's/^Uid:\\s*//p' /proc/1/status");
            assertThat(uid.getStdout().strip().split("\\s+")).containsOnly("10001");
            ExecResult write = ferry.execInContainer("sh", "-c", "touch /opt/ferry/x || touch /etc/ferry/x || exit 0; exit 1");
            assertThat(write.getExitCode()).as("writing to the root file system fails: %s", write.getStderr()).isZero();
            assertThat(write.getStderr()).contains("Read-only file system");
            assertThat(ferry.execInContainer("sh", "-c", "touch /tmp/x").getExitCode()).as("/tmp is writable").isZero();

            // SIGTERM: not ready at once (and the HEALTHCHECK says so), the open tunnel runs on, exit 0 when it ends
            try (Socks5Tunnel tunnel = Socks5Tunnel.open(socks, "demo", "demo-password", targets.echoPort())) {
                assertThat(tunnel.roundTrip("before")).isEqualTo("before");
                ferry.getDockerClient().killContainerCmd(ferry.getContainerId()).withSignal("TERM").exec();
                await("/health/ready answers 503").atMost(Duration.ofSeconds(10)).until(() -> ready(admin) == 503);
                assertThat(healthCheckPasses(ferry)).as("HEALTHCHECK while draining").isFalse();
                await("the listener closes").atMost(Duration.ofSeconds(10))
                        .until(() -> Curl.socks5(proxy, USER, targets.httpUrl()).exitCode() != 0);
                assertThat(tunnel.roundTrip("during the drain")).isEqualTo("during the drain");
            }
            await("the container exits").atMost(Duration.ofSeconds(20))
                    .until(() -> !ferry.getCurrentContainerInfo().getState().getRunning());
            assertThat(ferry.getCurrentContainerInfo().getState().getExitCodeLong()).as(ferry.getLogs()).isZero();
        }
    }

    @Test
    void theImageConfigurationRefusesTheContainersOwnAddressesAndClientsWithoutAPassword() throws Exception {
        int admin = freePort();
        try (GenericContainer<?> ferry = ferry(admin, null)) {
            ferry.start();
            String proxy = "127.0.0.1:" + socksPort(ferry);
            assertThat(Curl.socks5(proxy, USER, targets.httpUrl()).exitCode()).as("loopback destination").isNotZero();
            assertThat(Curl.socks5(proxy, null, targets.httpUrl()).exitCode()).as("no password").isNotZero();
            await().atMost(Duration.ofSeconds(10)).until(() -> ferry.getLogs().contains("no-local-destinations"));
            assertThat(ready(admin)).isEqualTo(200);
        }
    }

    @Test
    void imageIsSmall() throws Exception {
        Assumptions.assumeTrue(podman.isPresent(), "sizes are read with podman");
        long total = FerryImage.size(podman.get(), image);
        long base = FerryImage.size(podman.get(), FerryImage.runtimeBase());
        System.out.printf("image %s: %.1f MB, of which %.1f MB on top of the runtime base %s%n",
                image, total / 1e6, (total - base) / 1e6, FerryImage.runtimeBase());
        // the jlink-ed runtime (~52 MB with its class-data archive), ferry.jar (~12 MB) and the
        // AppCDS archive (~19 MB); a full JRE instead would add about 200 MB
        assertThat(total - base).as("bytes on top of the runtime base").isLessThan(100_000_000L);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
