package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.MountableFile;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Builds the image from docker/Dockerfile (the repository root as context), starts it with a
 * users file, waits for its HEALTHCHECK ({@code ferry health}) to pass, and fetches a page from an
 * HTTP server on this machine through the container with curl as SOCKS5 client. Needs a Docker
 * engine: where none runs (this machine, CI) JUnit reports it as skipped.
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerImageIT {
    private static final String BODY = "through-the-container";

    @Test
    void imageProxiesAnAuthenticatedRequestAndReportsHealthy() throws Exception {
        Path here = Path.of("").toAbsolutePath();
        Path root = Files.isRegularFile(here.resolve("docker/Dockerfile")) ? here : here.getParent();
        HttpServer target = HttpServer.create(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0), 0);
        target.createContext("/", exchange -> {
            byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        target.start();
        try {
            int targetPort = target.getAddress().getPort();
            org.testcontainers.Testcontainers.exposeHostPorts(targetPort);
            ImageFromDockerfile image = new ImageFromDockerfile("ferry-it", true)
                    .withFileFromPath(".", root)
                    .withDockerfile(root.resolve("docker/Dockerfile"));
            try (GenericContainer<?> ferry = new GenericContainer<>(image)
                    .withCopyFileToContainer(MountableFile.forHostPath(root.resolve("users.example")), "/etc/ferry/users")
                    .withExposedPorts(1080, 9090)
                    .waitingFor(Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(2)))) {
                ferry.start();
                String proxy = ferry.getHost() + ":" + ferry.getMappedPort(1080);
                Curl.Result fetched = Curl.socks5(proxy, "demo:demo-password",
                        "http://host.testcontainers.internal:" + targetPort + "/");
                assertThat(fetched.output()).isEqualTo(BODY);
                assertThat(Curl.socks5(proxy, null, "http://host.testcontainers.internal:" + targetPort + "/").exitCode())
                        .as("no password, no proxy").isNotZero();
                assertThat(Curl.run("http://" + ferry.getHost() + ":" + ferry.getMappedPort(9090) + "/health/ready")
                        .exitCode()).isZero();
            }
        } finally {
            target.stop(0);
        }
    }
}
