package dev.ferryproxy.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.auth.PlainCredential;
import dev.ferryproxy.auth.UserDirectory;
import dev.ferryproxy.handshake.ProxyPolicy;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Action;
import dev.ferryproxy.policy.Cidr;
import dev.ferryproxy.policy.PortRange;
import dev.ferryproxy.policy.Rule;
import dev.ferryproxy.server.ProxyServerConfig;
import dev.ferryproxy.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

/**
 * The configuration refuses to build an open proxy: a listener off loopback with neither a
 * required password nor a rule limiting clients, unless the open proxy is asked for on purpose.
 * Nothing is started here; building the configuration is what is checked.
 */
class OpenProxySafeguardTest {
    private static final InetSocketAddress ANY_IPV4 = new InetSocketAddress(address(new byte[4]), 0);
    private static final InetSocketAddress ANY_IPV6 = new InetSocketAddress(address(new byte[16]), 0);
    private static final UserDirectory USERS = UserDirectory.of(Map.of("alice", new PlainCredential("secret".getBytes(UTF_8))));
    private static final AccessRules NO_RULES = new AccessRules(List.of());

    private static InetAddress address(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void wildcardListenerWithoutUsersOrRulesIsRefused() {
        assertThatThrownBy(() -> ProxyServerConfig.builder().listen(ANY_IPV4).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--allow-open-proxy")
                .hasMessageContaining("0.0.0.0:0");
    }

    @Test
    void ipv6WildcardListenerIsRefusedToo() {
        assertThatThrownBy(() -> ProxyServerConfig.builder().listen(ANY_IPV6).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--allow-open-proxy");
    }

    @Test
    void oneOpenListenerAmongLoopbackOnesIsEnough() {
        assertThatThrownBy(() -> ProxyServerConfig.builder()
                .listen(new InetSocketAddress(Loopback.IPV4, 0))
                .listen(ANY_IPV4)
                .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--allow-open-proxy");
    }

    @Test
    void allowOpenProxyBuilds() {
        ProxyServerConfig config = ProxyServerConfig.builder().listen(ANY_IPV4).allowOpenProxy(true).build();

        assertThat(config.allowOpenProxy()).isTrue();
    }

    @Test
    void requiredPasswordBuilds() {
        assertThatCode(() -> ProxyServerConfig.builder().listen(ANY_IPV4)
                .policy(new ProxyPolicy(NO_RULES, USERS, true)).build())
                .doesNotThrowAnyException();
    }

    /** Users whose login is optional limit nothing: anyone may still come in without one. */
    @Test
    void optionalPasswordIsStillAnOpenProxy() {
        assertThatThrownBy(() -> ProxyServerConfig.builder().listen(ANY_IPV4)
                .policy(new ProxyPolicy(NO_RULES, USERS, false)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--allow-open-proxy");
    }

    @Test
    void ruleLimitingClientsBuilds() {
        AccessRules rules = new AccessRules(List.of(
                Rule.builder("rules[0]", Action.ALLOW).clients(Cidr.parse("10.0.0.0/8")).build()));

        assertThatCode(() -> ProxyServerConfig.builder().listen(ANY_IPV4)
                .policy(new ProxyPolicy(rules, UserDirectory.empty(), false)).build())
                .doesNotThrowAnyException();
    }

    @Test
    void ruleAllowingEveryClientDoesNotCount() {
        AccessRules rules = new AccessRules(List.of(
                Rule.builder("rules[0]", Action.ALLOW).clients(Cidr.parse("0.0.0.0/0")).build()));

        assertThatThrownBy(() -> ProxyServerConfig.builder().listen(ANY_IPV4)
                .policy(new ProxyPolicy(rules, UserDirectory.empty(), false)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--allow-open-proxy");
    }

    @Test
    void laterAllowRuleWithoutClientsDoesNotCount() {
        AccessRules rules = new AccessRules(List.of(
                Rule.builder("rules[0]", Action.ALLOW).clients(Cidr.parse("10.0.0.0/8")).build(),
                Rule.builder("rules[1]", Action.ALLOW).destinationPorts(PortRange.of(443, 443))
                        .build()));

        assertThatThrownBy(() -> ProxyServerConfig.builder().listen(ANY_IPV4)
                .policy(new ProxyPolicy(rules, UserDirectory.empty(), false)).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void loopbackListenerNeedsNoSafeguard() {
        assertThatCode(() -> ProxyServerConfig.builder().listen(new InetSocketAddress(Loopback.IPV4, 0)).build())
                .doesNotThrowAnyException();
        assertThatCode(() -> ProxyServerConfig.builder().listen(new InetSocketAddress(Loopback.IPV6, 0)).build())
                .doesNotThrowAnyException();
    }

    /** The same check guards a reload: updatePolicy calls it with the bound addresses. */
    @Test
    void reloadToAnOpenPolicyIsRefusedOnAWildcardListener() {
        assertThatThrownBy(() -> ProxyServerConfig.checkNotAnOpenProxy(List.of(ANY_IPV4), ProxyPolicy.open(), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--allow-open-proxy");
        assertThatCode(() -> ProxyServerConfig.checkNotAnOpenProxy(List.of(ANY_IPV4), ProxyPolicy.open(), true))
                .doesNotThrowAnyException();
    }
}
