package dev.ferryproxy.app;

import static dev.ferryproxy.app.ConfigurationIT.LOOPBACK_DNS;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** {@code ferry health}, the image's HEALTHCHECK, from the real jar against a real admin listener. */
class HealthIT {
    private static final String ADMIN = "admin listening on (127\\.0\\.0\\.1:\\d+)";

    @Test
    void exitsZeroWhenReadyAndOneWithAReasonOtherwise() throws Exception {
        try (FerryProcess ferry = FerryProcess.startJar("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                "--dns-server", LOOPBACK_DNS)) {
            String admin = "http://" + ferry.awaitStdout(ADMIN).group(1);

            try (FerryProcess ready = FerryProcess.startJar("health", "--url", admin + "/health/ready")) {
                assertThat(ready.awaitExit()).as(ready.stderr()).isZero();
                assertThat(ready.stdout()).isEqualTo("ferry health: " + admin + "/health/ready: 200 OK");
            }
            try (FerryProcess live = FerryProcess.startJar("health", "--url", admin + "/health/live")) {
                assertThat(live.awaitExit()).isZero();
            }
            try (FerryProcess notFound = FerryProcess.startJar("health", "--url", admin + "/health/nothing")) {
                assertThat(notFound.awaitExit()).isEqualTo(1);
                assertThat(notFound.stderr()).isEqualTo("ferry health: " + admin + "/health/nothing: HTTP 404");
            }
            ferry.terminate();
            assertThat(ferry.awaitExit()).isZero();
        }
    }

    @Test
    void exitsOneWhenNothingListens() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closedPort + "/health/ready";
        try (FerryProcess health = FerryProcess.startJar("health", "--url", url, "--timeout", "2s")) {
            assertThat(health.awaitExit()).isEqualTo(1);
            assertThat(health.stderr()).startsWith("ferry health: " + url + ": cannot connect").doesNotContain("\n");
            assertThat(health.stdout()).isEmpty();
        }
    }

    @Test
    void exitsOneWhenTheServerDoesNotAnswerInTime() throws Exception {
        // accepts the connection (backlog) but never answers
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String url = "http://127.0.0.1:" + silent.getLocalPort() + "/health/ready";
            try (FerryProcess health = FerryProcess.startJar("health", "--url", url, "--timeout", "500ms")) {
                assertThat(health.awaitExit()).isEqualTo(1);
                assertThat(health.stderr()).isEqualTo("ferry health: " + url + ": no answer within 500 ms");
            }
        }
    }

    @Test
    void rejectsAUrlThatIsNotHttp() throws IOException, InterruptedException {
        try (FerryProcess health = FerryProcess.startJar("health", "--url", "ftp://127.0.0.1/x")) {
            assertThat(health.awaitExit()).isEqualTo(2);
            assertThat(health.stderr()).startsWith("ferry health: invalid --url 'ftp://127.0.0.1/x'");
        }
    }
}
