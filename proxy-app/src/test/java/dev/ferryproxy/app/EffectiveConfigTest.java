package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.admission.AdmissionLimits;
import dev.ferryproxy.app.config.ConfigException;
import dev.ferryproxy.app.config.ConfigFile;
import dev.ferryproxy.app.config.FerryConfig;
import dev.ferryproxy.auth.LoginThrottle;
import dev.ferryproxy.auth.PasswordHashing;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.bind.BindSettings;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.policy.PortRange;
import dev.ferryproxy.proxyprotocol.ProxyProtocolMode;
import dev.ferryproxy.proxyprotocol.ProxyProtocolSettings;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.server.ProxyServerConfig;
import dev.ferryproxy.relay.RelayMode;
import dev.ferryproxy.transport.TransportKind;
import dev.ferryproxy.udp.UdpSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EffectiveConfigTest {
    private static String hash;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeHash() {
        hash = PasswordHashing.hash("file-secret".getBytes(StandardCharsets.US_ASCII));
    }

    private FerryConfig file(String yaml) throws IOException, ConfigException {
        Path path = dir.resolve("ferry.yaml");
        Files.writeString(path, yaml);
        return ConfigFile.load(path);
    }

    private static UserDirectory commandLineUsers(String... entries) {
        return CommandLineUsers.directory(List.of(),
                List.of(entries).stream().map(UserPassword::parse).toList());
    }

    private static ProxyServerConfig assemble(FerryConfig file, CommandLineSettings options, UserDirectory users)
            throws ConfigException {
        return EffectiveConfig.serverConfig(file, options, EffectiveConfig.policy(file, users));
    }

    private static CommandLineSettings options(List<InetSocketAddress> listeners, boolean allowOpenProxy) {
        return new CommandLineSettings(listeners, null, null, List.of(), null, null, allowOpenProxy, false, false, null);
    }

    @Test
    void defaultsApplyWhenNeitherFileNorOptionsSaySomething() throws Exception {
        ProxyServerConfig config = assemble(FerryConfig.empty(), CommandLineSettings.none(), UserDirectory.empty());
        ProxyServerConfig defaults = ProxyServerConfig.builder().build();
        assertThat(config.listeners()).containsExactly(new InetSocketAddress("127.0.0.1", 1080));
        assertThat(config.handshakeTimeout()).isEqualTo(defaults.handshakeTimeout());
        assertThat(config.connectTimeout()).isEqualTo(defaults.connectTimeout());
        assertThat(config.transport()).isEqualTo(TransportKind.AUTO);
        assertThat(config.policy().passwordRequired()).isFalse();
        assertThat(config.allowOpenProxy()).isFalse();
        assertThat(config.loginThrottle()).isEqualTo(LoginThrottle.Settings.DEFAULT);
        assertThat(config.bind()).as("BIND is off unless asked for").isEqualTo(BindSettings.DEFAULT);
        assertThat(config.udp()).as("UDP ASSOCIATE is on").isEqualTo(UdpSettings.DEFAULT);
        assertThat(config.advertisedAddress()).isNull();
    }

    @Test
    void bindUdpAndTheAdvertisedAddressComeFromTheFileAndTheOptions() throws Exception {
        FerryConfig file = file("bind: { ports: \"40000-40009\", timeout: 5s }\n"
                + "udp: { enabled: false, ports: \"50000\", idleTimeout: 30s, maxDatagramBytes: 1400,"
                + " maxDestinations: 8, maxPacketsPerSecond: 0, repliesFromAnySource: true }\n"
                + "advertisedAddress: 203.0.113.7\n");
        ProxyServerConfig fromFile = assemble(file, CommandLineSettings.none(), UserDirectory.empty());
        assertThat(fromFile.bind()).isEqualTo(new BindSettings(false, PortRange.of(40000, 40009), Duration.ofSeconds(5)));
        assertThat(fromFile.udp()).isEqualTo(new UdpSettings(false, PortRange.of(50000, 50000), Duration.ofSeconds(30),
                1400, 8, 0, true));
        assertThat(fromFile.advertisedAddress()).isEqualTo(InetAddress.getByName("203.0.113.7"));

        CommandLineSettings options = new CommandLineSettings(List.of(), null, null, List.of(), null, null, false,
                true, true, InetAddress.getByName("2001:db8::7"));
        ProxyServerConfig withOptions = assemble(file("bind: { enabled: false }\nudp: { enabled: true }\n"), options,
                UserDirectory.empty());
        assertThat(withOptions.bind().enabled()).as("--allow-bind").isTrue();
        assertThat(withOptions.udp().enabled()).as("--no-udp").isFalse();
        assertThat(withOptions.advertisedAddress()).isEqualTo(InetAddress.getByName("2001:db8::7"));
        assertThat(assemble(file("bind: { enabled: true }\n"), CommandLineSettings.none(), UserDirectory.empty())
                .bind().enabled()).isTrue();
    }

    @Test
    void fileSettingsApplyWhenNoOptionOverridesThem() throws Exception {
        FerryConfig file = file("listen: [\"127.0.0.2:1081\"]\ntimeouts: { handshake: 3s, connect: 4s }\n"
                + "dns: { servers: [\"127.0.0.1:5353\"], queryTimeout: 2s }\ntransport: nio\nworkerThreads: 3\n"
                + "auth: { closeConnectionsOfRemovedUsers: true, throttle: { lockoutAfter: 4 }, cacheTtl: 0s }\n");
        ProxyServerConfig config = assemble(file, CommandLineSettings.none(), UserDirectory.empty());
        assertThat(config.listeners()).containsExactly(new InetSocketAddress("127.0.0.2", 1081));
        assertThat(config.handshakeTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(4));
        assertThat(config.dnsServers()).containsExactly(new InetSocketAddress("127.0.0.1", 5353));
        assertThat(config.dnsQueryTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.transport()).isEqualTo(TransportKind.NIO);
        assertThat(config.workerThreads()).isEqualTo(3);
        assertThat(config.closeConnectionsOfRemovedUsers()).isTrue();
        assertThat(config.loginThrottle().lockoutAfter()).isEqualTo(4);
        assertThat(config.authCacheTtl()).isZero();
    }

    @Test
    void relayAndIdleTimeoutComeFromTheOptionThenTheFileThenTheDefaults() throws Exception {
        ProxyServerConfig defaults = assemble(FerryConfig.empty(), CommandLineSettings.none(), UserDirectory.empty());
        assertThat(defaults.relay()).isEqualTo(RelayMode.AUTO);
        assertThat(defaults.authCacheTtl()).isEqualTo(ProxyServerConfig.DEFAULT_AUTH_CACHE_TTL);
        assertThat(defaults.idleTimeout()).isZero();
        FerryConfig file = file("relay: buffer\nidleTimeout: 10m\n");
        ProxyServerConfig fromFile = assemble(file, CommandLineSettings.none(), UserDirectory.empty());
        assertThat(fromFile.relay()).isEqualTo(RelayMode.BUFFER);
        assertThat(fromFile.idleTimeout()).isEqualTo(Duration.ofMinutes(10));
        CommandLineSettings options = new CommandLineSettings(List.of(), null, null, List.of(), null, null, false,
                false, false, null, null, List.of(), null, Duration.ofSeconds(30), RelayMode.SPLICE);
        ProxyServerConfig withOptions = assemble(file, options, UserDirectory.empty());
        assertThat(withOptions.relay()).isEqualTo(RelayMode.SPLICE);
        assertThat(withOptions.idleTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void optionsOverrideTheFile() throws Exception {
        FerryConfig file = file("listen: [\"127.0.0.2:1081\", \"127.0.0.3:1081\"]\ntimeouts: { handshake: 3s, connect: 4s }\n"
                + "dns: { servers: [\"127.0.0.1:5353\"] }\ntransport: nio\nworkerThreads: 3\n");
        CommandLineSettings options = new CommandLineSettings(List.of(new InetSocketAddress("127.0.0.4", 1082)),
                Duration.ofSeconds(7), Duration.ofSeconds(8), List.of(new InetSocketAddress("127.0.0.1", 9)),
                TransportKind.AUTO, 1, false, false, false, null);
        ProxyServerConfig config = assemble(file, options, UserDirectory.empty());
        assertThat(config.listeners()).as("--listen replaces the list").containsExactly(new InetSocketAddress("127.0.0.4", 1082));
        assertThat(config.handshakeTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(8));
        assertThat(config.dnsServers()).containsExactly(new InetSocketAddress("127.0.0.1", 9));
        assertThat(config.transport()).isEqualTo(TransportKind.AUTO);
        assertThat(config.workerThreads()).isEqualTo(1);
    }

    @Test
    void commandLineUsersAddToTheFileAndRequirePasswords() throws Exception {
        Files.writeString(dir.resolve("users"), "alice:" + hash + "\nbob:" + hash + "\n");
        FerryConfig file = file("auth: { usersFile: users }\n");
        ProxyPolicy policy = EffectiveConfig.policy(file, commandLineUsers("carol:carol-pw", "bob:new-bob-pw"));
        assertThat(policy.users().names()).containsExactlyInAnyOrder("alice", "bob", "carol");
        assertThat(policy.passwordRequired()).isTrue();
        assertThat(policy.users().find("bob").orElseThrow().matches("new-bob-pw".getBytes(StandardCharsets.UTF_8)))
                .as("the command line overrides the file").isTrue();

        ProxyPolicy quickStart = EffectiveConfig.policy(FerryConfig.empty(), commandLineUsers("dave:pw"));
        assertThat(quickStart.passwordRequired()).isTrue();
    }

    @Test
    void requiredFalseKeepsPasswordsOptional() throws Exception {
        ProxyPolicy policy = EffectiveConfig.policy(file("auth: { required: false }\n"), commandLineUsers("carol:pw"));
        assertThat(policy.passwordRequired()).isFalse();
        assertThat(policy.users().names()).containsExactly("carol");
    }

    @Test
    void requiredWithoutUsersIsAnErrorNamingTheKey() throws Exception {
        FerryConfig file = file("auth:\n  required: true\n");
        assertThatThrownBy(() -> EffectiveConfig.policy(file, UserDirectory.empty()))
                .isInstanceOf(ConfigException.class)
                .hasMessage(dir.resolve("ferry.yaml") + ":2:13: auth.required: is true, but no user is configured"
                        + " (add auth.users or auth.usersFile, or pass --user NAME:PASSWORD)");
        assertThat(EffectiveConfig.policy(file, commandLineUsers("carol:pw")).passwordRequired()).isTrue();
    }

    @Test
    void openProxyIsRefusedWithHowToAllowIt() {
        assertThatThrownBy(() -> assemble(FerryConfig.empty(),
                options(List.of(new InetSocketAddress("0.0.0.0", 1080)), false), UserDirectory.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("refusing to run an open proxy")
                .hasMessageContaining("0.0.0.0:1080")
                .hasMessageContaining("--allow-open-proxy")
                .hasMessageContaining("allowOpenProxy: true");
        assertThatThrownBy(() -> assemble(FerryConfig.empty(),
                options(List.of(new InetSocketAddress("127.0.0.1", 1080), new InetSocketAddress("::", 1080)), false),
                UserDirectory.empty()))
                .hasMessageContaining("refusing to run an open proxy");
    }

    @Test
    void openProxyRefusalIsLiftedByPermissionPasswordsOrClientRules() throws Exception {
        List<InetSocketAddress> everywhere = List.of(new InetSocketAddress("0.0.0.0", 1080));
        assertThat(assemble(FerryConfig.empty(), options(everywhere, true), UserDirectory.empty()).allowOpenProxy())
                .as("--allow-open-proxy").isTrue();
        assertThat(assemble(file("allowOpenProxy: true\n"), options(everywhere, false), UserDirectory.empty())
                .allowOpenProxy()).as("allowOpenProxy: true").isTrue();
        assertThat(assemble(FerryConfig.empty(), options(everywhere, false), commandLineUsers("carol:pw"))
                .policy().passwordRequired()).as("--user").isTrue();
        assertThat(assemble(file("rules: [{ action: allow, clients: [\"192.168.0.0/16\"] }]\n"),
                options(everywhere, false), UserDirectory.empty()).listeners()).as("a client rule").isEqualTo(everywhere);
        assertThatThrownBy(() -> assemble(file("rules: [{ action: allow, clients: [\"0.0.0.0/0\"] }]\n"),
                options(everywhere, false), UserDirectory.empty()))
                .as("a client rule that lets everyone in lifts nothing")
                .hasMessageContaining("refusing to run an open proxy");
        assertThatThrownBy(() -> assemble(file("auth: { required: false }\n"), options(everywhere, false),
                commandLineUsers("carol:pw")))
                .as("users whose passwords are optional lift nothing")
                .hasMessageContaining("refusing to run an open proxy");
    }

    @Test
    void fileProxyProtocolAppliesToTheFilesListeners() throws Exception {
        FerryConfig file = file("""
                listen: ["127.0.0.1:1080", "127.0.0.1:1081"]
                proxyProtocol:
                  - listen: "127.0.0.1:1081"
                    mode: required
                    trustedSources: ["10.0.0.0/8"]
                """);
        ProxyServerConfig config = assemble(file, CommandLineSettings.none(), UserDirectory.empty());
        assertThat(config.proxyProtocolFor(new InetSocketAddress("127.0.0.1", 1080)).mode()).isEqualTo(ProxyProtocolMode.OFF);
        assertThat(config.proxyProtocolFor(new InetSocketAddress("127.0.0.1", 1081)).mode())
                .isEqualTo(ProxyProtocolMode.REQUIRED);
        // --listen replaces the file's listeners and with them their PROXY protocol entries.
        ProxyServerConfig replaced = assemble(file, options(List.of(new InetSocketAddress("127.0.0.1", 1081)), false),
                UserDirectory.empty());
        assertThat(replaced.proxyProtocol()).isEmpty();
    }

    @Test
    void commandLineProxyProtocolAppliesToEveryListener() throws Exception {
        CommandLineSettings options = new CommandLineSettings(
                List.of(new InetSocketAddress("127.0.0.1", 1080), new InetSocketAddress("127.0.0.1", 1081)),
                null, null, List.of(), null, null, false, false, false, null,
                ProxyProtocolMode.OPTIONAL, List.of(Cidr.parse("10.0.0.0/8")), Duration.ofSeconds(3), null, null);
        ProxyServerConfig config = assemble(FerryConfig.empty(), options, UserDirectory.empty());
        assertThat(config.proxyProtocol()).hasSize(2).allSatisfy((listener, settings) -> {
            assertThat(settings.mode()).isEqualTo(ProxyProtocolMode.OPTIONAL);
            assertThat(settings.trustedSources()).containsExactly(Cidr.parse("10.0.0.0/8"));
            assertThat(settings.headerTimeout()).isEqualTo(Duration.ofSeconds(3));
        });
        CommandLineSettings defaultListener = new CommandLineSettings(List.of(), null, null, List.of(), null, null,
                false, false, false, null, ProxyProtocolMode.REQUIRED, List.of(Cidr.parse("10.0.0.0/8")), null, null, null);
        assertThat(assemble(FerryConfig.empty(), defaultListener, UserDirectory.empty())
                .proxyProtocolFor(new InetSocketAddress("127.0.0.1", 1080)).headerTimeout())
                .isEqualTo(ProxyProtocolSettings.DEFAULT_HEADER_TIMEOUT);
    }

    @Test
    void commandLineProxyProtocolRequiredWithoutTrustedIsRefused() {
        CommandLineSettings options = new CommandLineSettings(List.of(), null, null, List.of(), null, null, false,
                false, false, null, ProxyProtocolMode.REQUIRED, List.of(), null, null, null);
        assertThatThrownBy(() -> assemble(FerryConfig.empty(), options, UserDirectory.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--proxy-protocol: PROXY protocol required needs at least one trusted source")
                .hasMessageEndingWith("(pass --proxy-protocol-trusted CIDR, repeatable)");
    }

    @Test
    void admissionLimitsLeftOutComeFromTheDescriptorLimitAndNeverExceedATotalTheFileLowered() {
        AdmissionLimits limits = EffectiveConfig.admissionLimits(new FerryConfig.Admission(500, null, null, null, 2),
                AdmissionLimits.forDescriptors(20_000));
        assertThat(limits).isEqualTo(new AdmissionLimits(500, 500, 64, 4_936, 2));
        assertThat(EffectiveConfig.admissionLimits(FerryConfig.Admission.NONE, AdmissionLimits.forDescriptors(20_000)))
                .isEqualTo(AdmissionLimits.forDescriptors(20_000));
    }
}
