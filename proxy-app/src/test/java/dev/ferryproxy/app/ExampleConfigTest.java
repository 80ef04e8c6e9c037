package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.app.config.ConfigFile;
import dev.ferryproxy.app.config.FerryConfig;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRequest;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Command;
import dev.ferryproxy.server.ProxyServerConfig;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The documented example that ships at the root of the repository loads, and says what its comments say. */
class ExampleConfigTest {
    static Path example() {
        return Path.of(System.getProperty("ferry.example", "../ferry.example.yaml"));
    }

    private static AccessRequest request(String client, String user, int version, String address, int port)
            throws Exception {
        return new AccessRequest(InetAddress.getByName(client), user, version, Command.CONNECT, null,
                InetAddress.getByName(address), port);
    }

    @Test
    void loadsAndRequiresTheDemoUsersPassword() throws Exception {
        FerryConfig file = ConfigFile.load(example());
        ProxyServerConfig config = EffectiveConfig.serverConfig(file, CommandLineSettings.none(),
                EffectiveConfig.policy(file, UserDirectory.empty()));
        assertThat(config.listeners()).extracting(a -> a.getAddress().isLoopbackAddress()).containsOnly(true);
        ProxyPolicy policy = config.policy();
        assertThat(policy.passwordRequired()).isTrue();
        assertThat(policy.users().names()).containsExactly("demo");
        assertThat(policy.users().find("demo").orElseThrow()
                .matches("demo-password".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(policy.users().find("demo").orElseThrow()
                .matches("demo-passwort".getBytes(StandardCharsets.UTF_8))).isFalse();
    }

    @Test
    void rulesDoWhatTheCommentsSay() throws Exception {
        AccessRules rules = new AccessRules(ConfigFile.load(example()).rules());
        assertThat(rules.rules()).extracting(rule -> rule.name())
                .containsExactly("no-local-destinations", "no-internal-names", "web-for-users");
        assertThat(rules.evaluate(request("127.0.0.1", "demo", 5, "192.0.2.10", 443)).allowed()).isTrue();
        assertThat(rules.evaluate(request("10.1.2.3", "demo", 5, "192.0.2.10", 8080)).allowed()).isTrue();
        assertThat(rules.evaluate(request("127.0.0.1", "demo", 5, "192.0.2.10", 22)).reason())
                .isEqualTo("no rule matched");
        assertThat(rules.evaluate(request("127.0.0.1", "demo", 5, "127.0.0.1", 443)).reason())
                .isEqualTo("no-local-destinations (deny)");
        assertThat(rules.evaluate(request("127.0.0.1", "demo", 5, "169.254.169.254", 80)).allowed()).isFalse();
        assertThat(rules.evaluate(request("127.0.0.1", "demo", 4, "192.0.2.10", 443)).allowed()).isFalse();
        assertThat(rules.evaluate(request("203.0.113.5", "demo", 5, "192.0.2.10", 443)).allowed()).isFalse();
        assertThat(rules.evaluate(new AccessRequest(InetAddress.getByName("127.0.0.1"), "demo", 5, Command.CONNECT,
                "db.internal.example", InetAddress.getByName("192.0.2.10"), 443)).reason())
                .isEqualTo("no-internal-names (deny)");
    }
}
