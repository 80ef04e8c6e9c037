package dev.ferryproxy.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.auth.LoginThrottle;
import dev.ferryproxy.client.ProxyUri;
import dev.ferryproxy.auth.PasswordHashing;
import dev.ferryproxy.policy.Action;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.policy.Command;
import dev.ferryproxy.policy.DomainPattern;
import dev.ferryproxy.policy.PortRange;
import dev.ferryproxy.policy.Rule;
import dev.ferryproxy.proxyprotocol.ProxyProtocolMode;
import dev.ferryproxy.proxyprotocol.ProxyProtocolSettings;
import dev.ferryproxy.transport.TransportKind;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigFileTest {
    /** One bcrypt hash for every test: making one takes a while. */
    private static String hash;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeHash() {
        hash = PasswordHashing.hash("secret".getBytes(StandardCharsets.US_ASCII));
    }

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    private FerryConfig load(String yaml) throws Exception {
        return ConfigFile.load(write("ferry.yaml", yaml));
    }

    private ConfigException error(String yaml) throws IOException {
        Path file = write("ferry.yaml", yaml);
        try {
            ConfigFile.load(file);
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("no error for:\n" + yaml);
    }

    /** The message as the user sees it: FILE:LINE:COLUMN: KEY: PROBLEM. */
    private String where(int line, int column, String key) {
        return dir.resolve("ferry.yaml") + ":" + line + ":" + column + ": " + key + ": ";
    }

    @Test
    void unknownKeyNamesFileLineKeyAndTheKeysThatExist() throws IOException {
        ConfigException e = error("listen: [\"127.0.0.1:1080\"]\ntimeouts:\n  handshake: 10s\n  handshak: 10s\n");
        assertThat(e).hasMessage(where(4, 3, "timeouts.handshak") + "unknown key (expected one of: handshake, connect)");
        assertThat(e.line()).isEqualTo(4);
        assertThat(e.key()).isEqualTo("timeouts.handshak");
    }

    @Test
    void adminIsAHostAndPort() throws Exception {
        assertThat(load("admin: \"127.0.0.1:9090\"\n").admin()).isEqualTo(new InetSocketAddress("127.0.0.1", 9090));
        assertThat(load("listen: [\"127.0.0.1:1080\"]\n").admin()).isNull();
    }

    @Test
    void accessLogIsStdoutOffOrAFileNextToTheConfiguration() throws Exception {
        assertThat(load("accessLog: stdout\n").accessLog()).isEqualTo(dev.ferryproxy.app.AccessLog.STDOUT);
        assertThat(load("accessLog: \"off\"\n").accessLog().isOff()).isTrue();
        assertThat(load("listen: [\"127.0.0.1:1080\"]\n").accessLog()).isNull();
        assertThat(load("accessLog: logs/access.log\n").accessLog().path())
                .isEqualTo(dir.resolve("logs/access.log"));
    }

    @Test
    void logFormatIsTextOrJson() throws Exception {
        assertThat(load("logFormat: json\n").logFormat()).isEqualTo(dev.ferryproxy.app.LogFormat.JSON);
        assertThat(load("logFormat: TEXT\n").logFormat()).isEqualTo(dev.ferryproxy.app.LogFormat.TEXT);
        assertThat(load("listen: [\"127.0.0.1:1080\"]\n").logFormat()).isNull();
        assertThat(error("logFormat: logfmt\n")).hasMessage(where(1, 12, "logFormat")
                + "'logfmt' is not a log format (expected: text or json)");
    }

    @Test
    void drainTakesADelayAndATimeout() throws Exception {
        assertThat(load("drain:\n  delay: 0s\n  timeout: 1m\n").drain())
                .isEqualTo(new FerryConfig.Drain(java.time.Duration.ZERO, java.time.Duration.ofMinutes(1)));
        assertThat(load("listen: [\"127.0.0.1:1080\"]\n").drain()).isEqualTo(FerryConfig.Drain.NONE);
        assertThat(error("drain:\n  timeout: 0s\n")).hasMessage(where(2, 12, "drain.timeout")
                + "'0s' must be longer than zero");
        assertThat(error("drain:\n  delay: -1s\n").getMessage()).startsWith(where(2, 10, "drain.delay"));
    }

    @Test
    void relayAndIdleTimeoutAreRead() throws Exception {
        FerryConfig config = load("relay: splice\nidleTimeout: 5m\n");
        assertThat(config.relay()).isEqualTo(dev.ferryproxy.relay.RelayMode.SPLICE);
        assertThat(config.idleTimeout()).isEqualTo(java.time.Duration.ofMinutes(5));
        assertThat(load("idleTimeout: 0s\n").idleTimeout()).isZero();
        assertThat(load("listen: [\"127.0.0.1:1080\"]\n").relay()).isNull();
        assertThat(error("relay: kernel\n")).hasMessage(where(1, 8, "relay")
                + "'kernel' is not a relay (expected one of: auto, splice, buffer)");
        assertThat(error("idleTimeout: -1s\n").getMessage()).startsWith(where(1, 14, "idleTimeout"));
    }

    @Test
    void metricsTakesPerUserTagsAndABound() throws Exception {
        assertThat(load("metrics:\n  perUserTags: true\n  maxTaggedUsers: 5\n").metrics())
                .isEqualTo(new FerryConfig.Metrics(true, 5));
        assertThat(load("listen: [\"127.0.0.1:1080\"]\n").metrics()).isEqualTo(FerryConfig.Metrics.NONE);
        assertThat(error("metrics:\n  maxTaggedUsers: 0\n").getMessage())
                .startsWith(where(2, 19, "metrics.maxTaggedUsers"));
        assertThat(error("metrics:\n  perUser: true\n").getMessage()).startsWith(where(2, 3, "metrics.perUser"));
    }

    @Test
    void admissionTakesEachLimitAndLeavesTheRestUnset() throws Exception {
        FerryConfig.Admission admission = load("admission:\n  maxConnections: 500\n  maxUdpAssociationsPerClient: 2\n")
                .admission();
        assertThat(admission).isEqualTo(new FerryConfig.Admission(500, null, null, null, 2));
        assertThat(load("listen: [\"127.0.0.1:1080\"]\n").admission()).isEqualTo(FerryConfig.Admission.NONE);
        assertThat(error("admission:\n  maxConnections: 0\n").getMessage())
                .startsWith(where(2, 19, "admission.maxConnections"));
        assertThat(error("admission:\n  maxConections: 10\n").getMessage()).startsWith(where(2, 3, "admission.maxConections"));
    }

    @Test
    void unknownTopLevelKeyListsEveryKey() throws IOException {
        assertThat(error("# comment\nlistens: []\n")).hasMessage(where(2, 1, "listens")
                + "unknown key (expected one of: listen, timeouts, dns, transport, relay, idleTimeout, workerThreads, allowOpenProxy, bind, udp, advertisedAddress, admin, drain, metrics, accessLog, logFormat, auth, upstreams, rules, proxyProtocol, admission, limits, cluster)");
    }

    @Test
    void wrongTypeSaysWhatWasExpectedAndWhatCame() throws IOException {
        assertThat(error("workerThreads: four\n")).hasMessage(where(1, 16, "workerThreads")
                + "expected a whole number, got 'four'");
        assertThat(error("timeouts: [10s]\n")).hasMessage(where(1, 11, "timeouts")
                + "expected a mapping (key: value lines), got a list");
        assertThat(error("listen: 127.0.0.1:1080\n")).hasMessageStartingWith(where(1, 9, "listen")
                + "expected a list, got '127.0.0.1:1080' (write a list, e.g. [\"127.0.0.1:1080\"])");
        assertThat(error("allowOpenProxy: yes\n")).hasMessage(where(1, 17, "allowOpenProxy")
                + "expected true or false, got 'yes'");
        assertThat(error("rules:\n  - action: [allow]\n")).hasMessage(where(2, 13, "rules[0].action")
                + "expected a single value, got a list");
        assertThat(error("workerThreads: -1\n")).hasMessage(where(1, 16, "workerThreads")
                + "-1 is out of range (expected: 0-4096)");
        assertThat(error("workerThreads: 123456789012345\n")).hasMessage(where(1, 16, "workerThreads")
                + "123456789012345 is out of range (expected: 0-4096)");
        assertThat(error("workerThreads: twelve-thousand\n")).hasMessage(where(1, 16, "workerThreads")
                + "expected a whole number, got 'twelve-thousand'");
        assertThat(error("workerThreads: 2.5\n")).hasMessage(where(1, 16, "workerThreads")
                + "expected a whole number, got '2.5'");
    }

    @Test
    void keyWithoutValueIsAnError() throws IOException {
        assertThat(error("timeouts:\ntransport: nio\n")).hasMessage(where(1, 10, "timeouts")
                + "expected a mapping (key: value lines), got no value");
    }

    @Test
    void badCidrNamesTheRuleAndTheEntry() throws IOException {
        String yaml = "rules:\n"
                + "  - action: allow\n"
                + "  - action: deny\n"
                + "    clients: [\"10.0.0.0/8\"]\n"
                + "  - action: allow\n"
                + "    clients:\n"
                + "      - 10.0.0.0/33\n";
        assertThat(error(yaml)).hasMessage(where(7, 9, "rules[2].clients[0]")
                + "'10.0.0.0/33': prefix length 33 is out of range (expected: 0-32)");
        assertThat(error("rules:\n  - action: deny\n    destinations: [\"10.0.0.1/8\"]\n"))
                .hasMessage(where(3, 20, "rules[0].destinations[0]") + "'10.0.0.1/8': host bits are set (did you mean 10.0.0.0/8?)");
    }

    @Test
    void badPortsAreNamed() throws IOException {
        assertThat(error("listen: [\"127.0.0.1:70000\"]\n")).hasMessage(where(1, 10, "listen[0]")
                + "port 70000 in '127.0.0.1:70000' is out of range (expected: 0-65535)");
        assertThat(error("rules:\n  - action: allow\n    ports: [80, 70000]\n")).hasMessage(where(3, 17, "rules[0].ports[1]")
                + "'70000': port 70000 is out of range (expected: 0-65535)");
        assertThat(error("rules:\n  - action: allow\n    ports: [\"8100-8000\"]\n"))
                .hasMessageStartingWith(where(3, 13, "rules[0].ports[0]") + "'8100-8000': the range is empty");
        assertThat(error("listen: [\"[::1]:http\"]\n")).hasMessage(where(1, 10, "listen[0]")
                + "'http' in '[::1]:http' is not a port number");
    }

    @Test
    void badDurationsAreNamed() throws IOException {
        assertThat(error("timeouts:\n  connect: soon\n")).hasMessage(where(2, 12, "timeouts.connect")
                + "'soon' is not a duration (examples: 500ms, 10s, 2m, PT10S)");
        assertThat(error("timeouts:\n  handshake: 0s\n")).hasMessage(where(2, 14, "timeouts.handshake")
                + "'0s' must be longer than zero");
        assertThat(error("auth:\n  throttle: { baseDelay: 1x }\n")).hasMessage(where(2, 26, "auth.throttle.baseDelay")
                + "'1x' is not a duration (examples: 500ms, 10s, 2m, PT10S)");
        assertThat(error("auth:\n  throttle: { baseDelay: 5s, maxDelay: 1s }\n")).hasMessage(where(2, 40, "auth.throttle.maxDelay")
                + "maxDelay PT1S is shorter than baseDelay PT5S (expected: baseDelay <= maxDelay)");
    }

    @Test
    void unreadableUsersFileIsNamedWithTheKey() throws IOException {
        Path missing = dir.resolve("missing-users");
        assertThat(error("auth:\n  usersFile: missing-users\n")).hasMessage(where(2, 14, "auth.usersFile")
                + missing + ": cannot read: no such file");
        Files.createDirectory(dir.resolve("a-directory"));
        assertThat(error("auth:\n  usersFile: a-directory\n")).hasMessageStartingWith(where(2, 14, "auth.usersFile")
                + dir.resolve("a-directory") + ": cannot read: ");
    }

    @Test
    void badLineInUsersFileIsNamedWithItsOwnLine() throws IOException {
        Path users = write("users", "# users\nalice:" + hash + "\nbob\n");
        assertThat(error("auth:\n  usersFile: users\n")).hasMessage(where(2, 14, "auth.usersFile")
                + users + ":3: expected name:bcrypt-hash");
        write("users", "alice:not-a-hash\n");
        assertThat(error("auth:\n  usersFile: users\n")).hasMessageStartingWith(where(2, 14, "auth.usersFile")
                + users + ":1: user 'alice': not a bcrypt hash");
    }

    @Test
    void duplicateKeysAreRefusedWithTheFirstLine() throws IOException {
        assertThat(error("transport: nio\nworkerThreads: 2\ntransport: epoll\n")).hasMessage(where(3, 1, "transport")
                + "duplicate key (first given on line 1)");
        assertThat(error("rules:\n  - action: allow\n    ports: [80]\n    ports: [443]\n"))
                .hasMessage(where(4, 5, "rules[0].ports") + "duplicate key (first given on line 3)");
    }

    @Test
    void yamlSyntaxErrorsHaveTheirLine() throws IOException {
        ConfigException e = error("listen: [\"127.0.0.1:1080\"]\ntimeouts:\n  handshake: 10s\n connect: 10s\n");
        assertThat(e.getMessage()).startsWith(dir.resolve("ferry.yaml") + ":4:").contains("not valid YAML");
        assertThat(e.line()).isEqualTo(4);
        assertThat(error("listen: [\"127.0.0.1:1080\"\n").getMessage())
                .startsWith(dir.resolve("ferry.yaml") + ":2:1: not valid YAML: ").contains("expected ',' or ']'");
        assertThat(error("a: 1\n---\nb: 2\n").getMessage()).startsWith(dir.resolve("ferry.yaml") + ":2:")
                .contains("expected a single document");
    }

    @Test
    void unreadableOrNonUtf8ConfigFileIsNamed() throws IOException {
        Path missing = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> ConfigFile.load(missing)).isInstanceOf(ConfigException.class)
                .hasMessage(missing + ": cannot read: no such file");
        Path latin1 = dir.resolve("latin1.yaml");
        Files.write(latin1, new byte[] {'a', ':', ' ', (byte) 0xE9, '\n'});
        assertThatThrownBy(() -> ConfigFile.load(latin1)).hasMessage(latin1 + ": cannot read: not UTF-8 text");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "transport: iouring|1:12|transport|'iouring' is not a transport (expected one of: auto, epoll, io_uring, nio)",
        "rules: [{ clients: [\"10.0.0.0/8\"] }]|1:9|rules[0].action|is missing (it is required)",
        "rules: [{ action: permit }]|1:19|rules[0].action|'permit' is not an action (expected one of: allow, deny)",
        "rules: [{ action: allow, versions: [4, 6] }]|1:40|rules[0].versions[1]|'6' is not a SOCKS version (expected: 4 or 5; SOCKS4a is 4)",
        "rules: [{ action: allow, commands: [shout] }]|1:37|rules[0].commands[0]|'shout' is not a command (expected one of: connect, bind, udp)",
        "rules: [{ action: allow, clients: [] }]|1:35|rules[0].clients|the list is empty (leave the key out instead)",
        "rules: [{ action: allow, names: [\"10.0.0.1\"] }]|1:34|rules[0].names[0]|'10.0.0.1' is an IP address, not a name (match addresses with a destination network, e.g. 10.0.0.0/8)",
        "rules: [{ action: allow, colour: red }]|1:26|rules[0].colour|unknown key (expected one of: name, action, clients, users, versions, commands, destinations, names, ports, via)",
        "rules: [{ action: allow, via: corp }]|1:31|rules[0].via|'corp' names no upstream (defined in 'upstreams': none)",
        "upstreams: [{ name: corp, proxies: [] }]|1:36|upstreams[0].proxies|the list is empty (leave the key out instead)",
        "upstreams: [{ name: corp }]|1:13|upstreams[0].proxies|is missing (it is required)",
        "upstreams: [{ name: corp, proxies: [\"http://p:3128\"] }]|1:37|upstreams[0].proxies[0]|proxy URI 'http://p:3128': unknown scheme 'http'",
        "upstreams: [{ name: ' ', proxies: [\"socks5://p:1\"] }]|1:21|upstreams[0].name|the name is empty",
        "listen: []|1:9|listen|the list is empty (leave the key out instead)",
        "bind: { ports: \"0-10\" }|1:16|bind.ports|port 0 is not a port to listen on (leave 'ports' out for any free port)",
        "bind: { timeout: 0s }|1:18|bind.timeout|'0s' must be longer than zero",
        "bind: { enable: true }|1:9|bind.enable|unknown key (expected one of: enabled, ports, timeout)",
        "udp: { maxDatagramBytes: 70000 }|1:26|udp.maxDatagramBytes|70000 is out of range (expected: 1-65507)",
        "udp: { enabled: sometimes }|1:17|udp.enabled|expected true or false, got 'sometimes'",
        "advertisedAddress: proxy.example.com|1:20|advertisedAddress|'proxy.example.com' is not an IP address",
        "advertisedAddress: 0.0.0.0|1:20|advertisedAddress|'0.0.0.0' is the wildcard address, which no client can reach",
        "dns: { servers: [\"127.0.0.1\"] }|1:18|dns.servers[0]|'127.0.0.1' is not HOST:PORT (write IPv6 as [::1]:1080)",
        "admin: \"127.0.0.1\"|1:8|admin|'127.0.0.1' is not HOST:PORT (write IPv6 as [::1]:1080)",
        "auth: { users: [{ name: alice, password: secret }] }|1:32|auth.users[0].password|unknown key (expected one of: name, passwordHash)",
        "auth: { users: [{ name: alice, passwordHash: secret }] }|1:46|auth.users[0].passwordHash|not a bcrypt hash: ",
        "auth: { users: [{ passwordHash: secret }] }|1:17|auth.users[0].name|is missing (it is required)",
        "auth: { users: [{ name: 'a:b', passwordHash: x }] }|1:25|auth.users[0].name|a user name cannot contain ':'",
        "auth: { required: maybe }|1:19|auth.required|expected true or false, got 'maybe'",
        "auth: { throttle: { lockoutAfter: 0 } }|1:35|auth.throttle.lockoutAfter|0 is out of range (expected: 1-1000000)",
        "auth: { cacheTtl: -1s }|1:19|auth.cacheTtl|'-1s' is negative",
        "auth: { cacheTtl: soon }|1:19|auth.cacheTtl|'soon' is not a duration",
    })
    void eachBadValueIsNamed(String yaml, String lineAndColumn, String key, String problem) throws IOException {
        String[] position = lineAndColumn.split(":");
        assertThat(error(yaml + "\n")).hasMessageStartingWith(
                where(Integer.parseInt(position[0]), Integer.parseInt(position[1]), key) + problem);
    }

    @Test
    void duplicateUsersAndRuleNamesAreRefused() throws IOException {
        write("users", "alice:" + hash + "\n");
        assertThat(error("auth:\n  usersFile: users\n  users:\n    - { name: alice, passwordHash: \"" + hash + "\" }\n"))
                .hasMessage(where(4, 15, "auth.users[0].name") + "user 'alice' is also in the users file "
                        + dir.resolve("users") + " (keep one of them)");
        assertThat(error("auth:\n  users:\n    - { name: bob, passwordHash: \"" + hash + "\" }\n"
                + "    - { name: bob, passwordHash: \"" + hash + "\" }\n"))
                .hasMessage(where(4, 15, "auth.users[1].name") + "user 'bob' is listed twice (first on line 3)");
        assertThat(error("rules:\n  - { name: web, action: allow }\n  - { name: web, action: deny }\n"))
                .hasMessage(where(3, 13, "rules[1].name") + "rule name 'web' is used twice (first on line 2)");
    }

    @Test
    void upstreamsAreNamedRoutesThatRulesUse() throws Exception {
        FerryConfig config = load("upstreams:\n"
                + "  - name: corp\n"
                + "    proxies: [\"socks5h://relay:s3cret@10.0.0.2:1080\", \"socks4a://[2001:db8::3]:1081\"]\n"
                + "  - name: backup\n"
                + "    proxies: [\"socks5://10.0.0.9\"]\n"
                + "rules:\n"
                + "  - { action: allow, names: [\"*.corp.example\"], via: corp }\n"
                + "  - { action: allow }\n");
        assertThat(config.upstreams().keySet()).containsExactly("corp", "backup");
        assertThat(config.upstreams().get("corp").hops()).containsExactly(
                ProxyUri.parse("socks5h://relay:s3cret@10.0.0.2:1080"), ProxyUri.parse("socks4a://[2001:db8::3]:1081"));
        assertThat(config.upstreams().get("backup").firstHop().port()).isEqualTo(1080);
        assertThat(config.rules().get(0).via()).isEqualTo("corp");
        assertThat(config.rules().get(1).via()).isNull();
        assertThat(error("upstreams:\n  - { name: a, proxies: [\"socks5://p:1\"] }\n"
                + "  - { name: a, proxies: [\"socks5://q:1\"] }\n"))
                .hasMessage(where(3, 13, "upstreams[1].name") + "upstream 'a' is defined twice (first on line 2)");
        assertThat(error("upstreams: [{ name: a, proxies: [\"socks5://p:1\"] }]\nrules: [{ action: allow, via: b }]\n"))
                .hasMessage(where(2, 31, "rules[0].via") + "'b' names no upstream (defined in 'upstreams': a)");
        assertThat(error("upstreams: [{ name: a, proxies: [\"socks5://p:1\"] }]\nrules: [{ action: deny, via: a }]\n"))
                .hasMessage(where(2, 30, "rules[0].via") + "only a rule that allows can route through an upstream,"
                        + " and this one says deny");
    }

    @Test
    void emptyFileSetsNothing() throws Exception {
        FerryConfig config = load("# nothing here yet\n");
        assertThat(config.listeners()).isNull();
        assertThat(config.handshakeTimeout()).isNull();
        assertThat(config.auth().users().isEmpty()).isTrue();
        assertThat(config.auth().required()).isNull();
        assertThat(config.rules()).isEmpty();
    }

    @Test
    void everyKeyIsRead() throws Exception {
        Files.createDirectory(dir.resolve("etc"));
        Files.writeString(dir.resolve("etc/users"), "bob:" + hash + "\n");
        String yaml = "listen: [\"127.0.0.1:1081\", \"[::1]:1082\"]\n"
                + "timeouts: { handshake: 3s, connect: PT4S }\n"
                + "dns: { servers: [\"127.0.0.1:53\"], queryTimeout: 500ms }\n"
                + "transport: NIO\n"
                + "workerThreads: 3\n"
                + "allowOpenProxy: true\n"
                + "auth:\n"
                + "  required: false\n"
                + "  usersFile: etc/users\n"
                + "  users:\n"
                + "    - { name: alice, passwordHash: \"" + hash + "\" }\n"
                + "  closeConnectionsOfRemovedUsers: true\n"
                + "  throttle: { baseDelay: 100ms, lockoutAfter: 3 }\n"
                + "  cacheTtl: 90s\n"
                + "rules:\n"
                + "  - name: office\n"
                + "    action: allow\n"
                + "    clients: [\"10.0.0.0/8\", \"2001:db8::/32\"]\n"
                + "    users: [alice]\n"
                + "    versions: [5]\n"
                + "    commands: [connect, udp]\n"
                + "    destinations: [\"192.0.2.0/24\"]\n"
                + "    names: [\"*.example.com\", example.org]\n"
                + "    ports: [80, 443, \"8000-8100\"]\n"
                + "  - action: deny\n";
        FerryConfig config = load(yaml);
        assertThat(config.source()).isEqualTo(dir.resolve("ferry.yaml"));
        assertThat(config.listeners()).extracting(InetSocketAddress::getPort).containsExactly(1081, 1082);
        assertThat(config.handshakeTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(4));
        assertThat(config.dnsServers()).containsExactly(new InetSocketAddress("127.0.0.1", 53));
        assertThat(config.dnsQueryTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.transport()).isEqualTo(TransportKind.NIO);
        assertThat(config.workerThreads()).isEqualTo(3);
        assertThat(config.allowOpenProxy()).isTrue();
        assertThat(config.auth().required()).isFalse();
        assertThat(config.auth().usersFile()).isEqualTo(dir.resolve("etc/users"));
        assertThat(config.auth().users().names()).containsExactly("bob", "alice");
        assertThat(config.auth().users().find("alice").orElseThrow()
                .matches("secret".getBytes(StandardCharsets.US_ASCII))).isTrue();
        assertThat(config.auth().closeConnectionsOfRemovedUsers()).isTrue();
        assertThat(config.auth().throttle()).isEqualTo(new LoginThrottle.Settings(Duration.ofMillis(100),
                LoginThrottle.Settings.DEFAULT.maxDelay(), 3, LoginThrottle.Settings.DEFAULT.lockoutDuration(),
                LoginThrottle.Settings.DEFAULT.forgetAfter()));
        assertThat(config.auth().cacheTtl()).isEqualTo(Duration.ofSeconds(90));

        assertThat(config.rules()).hasSize(2);
        Rule office = config.rules().get(0);
        assertThat(office.name()).isEqualTo("office");
        assertThat(office.action()).isEqualTo(Action.ALLOW);
        assertThat(office.clients()).containsExactly(Cidr.parse("10.0.0.0/8"), Cidr.parse("2001:db8::/32"));
        assertThat(office.users()).containsExactly("alice");
        assertThat(office.socksVersions()).containsExactly(5);
        assertThat(office.commands()).isEqualTo(Set.of(Command.CONNECT, Command.UDP_ASSOCIATE));
        assertThat(office.destinationNetworks()).containsExactly(Cidr.parse("192.0.2.0/24"));
        assertThat(office.destinationNames()).containsExactly(DomainPattern.parse("*.example.com"),
                DomainPattern.parse("example.org"));
        assertThat(office.destinationPorts()).containsExactly(PortRange.parse("80"), PortRange.parse("443"),
                PortRange.parse("8000-8100"));
        Rule second = config.rules().get(1);
        assertThat(second.name()).isEqualTo("rules[1]");
        assertThat(second.action()).isEqualTo(Action.DENY);
        assertThat(second.clients()).isEmpty();
    }

    @Test
    void restartOnlySettingsTellWhatAReloadCannotChange() throws Exception {
        FerryConfig before = load("listen: [\"127.0.0.1:1081\"]\ntimeouts: { connect: 5s }\n");
        FerryConfig same = load("listen: [\"127.0.0.1:1081\"]\ntimeouts: { connect: 5s }\nrules: [{ action: deny }]\n");
        FerryConfig moved = load("listen: [\"127.0.0.1:1082\"]\ntimeouts: { connect: 5s, handshake: 1s }\n");
        assertThat(before.restartOnlySettings()).isEqualTo(same.restartOnlySettings());
        assertThat(before.restartOnlySettings()).isNotEqualTo(moved.restartOnlySettings());
        assertThat(List.copyOf(before.restartOnlySettings().keySet())).contains("listen", "timeouts.handshake",
                "auth.throttle", "auth.cacheTtl");
    }

    @Test
    void proxyProtocolPerListener() throws Exception {
        FerryConfig config = load("""
                listen: ["127.0.0.1:1080", "127.0.0.1:1081", "127.0.0.1:1082"]
                proxyProtocol:
                  - listen: "127.0.0.1:1080"
                    mode: required
                    trustedSources: ["10.0.0.0/8", "192.0.2.7"]
                    headerTimeout: 2s
                  - listen: "127.0.0.1:1081"
                    mode: Optional
                    trustedSources: ["10.0.0.0/8"]
                """);
        assertThat(config.proxyProtocol()).containsOnlyKeys(
                new InetSocketAddress("127.0.0.1", 1080), new InetSocketAddress("127.0.0.1", 1081));
        ProxyProtocolSettings first = config.proxyProtocol().get(new InetSocketAddress("127.0.0.1", 1080));
        assertThat(first.mode()).isEqualTo(ProxyProtocolMode.REQUIRED);
        assertThat(first.trustedSources()).containsExactly(Cidr.parse("10.0.0.0/8"), Cidr.parse("192.0.2.7/32"));
        assertThat(first.headerTimeout()).isEqualTo(Duration.ofSeconds(2));
        ProxyProtocolSettings second = config.proxyProtocol().get(new InetSocketAddress("127.0.0.1", 1081));
        assertThat(second.mode()).isEqualTo(ProxyProtocolMode.OPTIONAL);
        assertThat(second.headerTimeout()).isEqualTo(ProxyProtocolSettings.DEFAULT_HEADER_TIMEOUT);
    }

    @Test
    void proxyProtocolRequiredWithoutTrustedSourcesNamesTheMode() throws IOException {
        assertThat(error("listen: [\"127.0.0.1:1080\"]\nproxyProtocol:\n  - listen: \"127.0.0.1:1080\"\n    mode: required\n"))
                .hasMessageStartingWith(where(4, 11, "proxyProtocol[0].mode") + "is required, but no trustedSources are given");
    }

    @Test
    void proxyProtocolForAnAddressNotInListenIsRefused() throws IOException {
        assertThat(error("listen: [\"127.0.0.1:1080\"]\nproxyProtocol:\n  - listen: \"127.0.0.1:1090\"\n"
                + "    mode: optional\n    trustedSources: [\"10.0.0.0/8\"]\n"))
                .hasMessage(where(3, 13, "proxyProtocol[0].listen") + "'127.0.0.1:1090' is not one of the addresses in listen"
                        + " (127.0.0.1:1080)");
        assertThat(error("proxyProtocol:\n  - listen: \"127.0.0.1:1080\"\n    mode: off\n"))
                .hasMessageContaining("(the file has no listen list: add one)");
    }

    @Test
    void proxyProtocolBadValuesNameKeyAndProblem() throws IOException {
        String head = "listen: [\"127.0.0.1:1080\"]\nproxyProtocol:\n  - listen: \"127.0.0.1:1080\"\n";
        assertThat(error(head + "    mode: always\n"))
                .hasMessage(where(4, 11, "proxyProtocol[0].mode") + "'always' is not a PROXY protocol mode (expected one of:"
                        + " off, optional, required)");
        assertThat(error(head + "    mode: optional\n    trustedSources: [\"10.0.0.0/33\"]\n"))
                .hasMessageStartingWith(where(5, 22, "proxyProtocol[0].trustedSources[0]"));
        assertThat(error(head + "    mode: optional\n    trustedSources: [\"10.0.0.0/8\"]\n    headerTimeout: 0s\n"))
                .hasMessageStartingWith(where(6, 20, "proxyProtocol[0].headerTimeout"));
        assertThat(error(head + "    mode: off\n    tusted: []\n"))
                .hasMessageStartingWith(where(5, 5, "proxyProtocol[0].tusted") + "unknown key");
        assertThat(error(head + "    mode: off\n  - listen: \"127.0.0.1:1080\"\n    mode: off\n"))
                .hasMessage(where(5, 13, "proxyProtocol[1].listen") + "'127.0.0.1:1080' already has PROXY protocol"
                        + " settings (on line 3)");
    }
}
