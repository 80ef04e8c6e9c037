package dev.ferryproxy.policy;

import static dev.ferryproxy.policy.TestRequests.ip;
import static dev.ferryproxy.policy.TestRequests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AccessRequestTest {
    @Test
    void aResolvedAddressKeepsEveryOtherField() {
        AccessRequest byName = request().client("198.51.100.9").user("alice").version(4).command(Command.BIND)
                .name("example.com").port(8080).build();
        assertThat(byName.destinationAddress()).isNull();

        AccessRequest resolved = byName.withDestinationAddress(ip("2001:db8::1"));
        assertThat(resolved).isEqualTo(new AccessRequest(ip("198.51.100.9"), "alice", 4, Command.BIND, "example.com",
                ip("2001:db8::1"), 8080));
        assertThat(byName.destinationAddress()).as("the original is unchanged").isNull();
    }

    @Test
    void userAndNameMayBeAbsent() {
        AccessRequest byAddress = request().user(null).address("192.0.2.1").build();
        assertThat(byAddress.user()).isNull();
        assertThat(byAddress.destinationName()).isNull();
    }

    @Test
    void needsADestination() {
        assertThatThrownBy(() -> new AccessRequest(ip("192.0.2.1"), null, 5, Command.CONNECT, null, null, 80))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a request needs a destination name or a destination address");
        assertThat(request().name("example.com").address("192.0.2.1").build().withDestinationAddress(null)
                .destinationAddress()).as("a name alone is a destination").isNull();
        assertThatThrownBy(() -> request().address("192.0.2.1").build().withDestinationAddress(null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void checksVersionPortAndRequiredFields() {
        assertThatThrownBy(() -> request().version(3).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("socksVersion 3 is not 4 or 5");
        assertThatThrownBy(() -> request().port(-1).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("destinationPort -1 is out of range (expected: 0-65535)");
        assertThatThrownBy(() -> request().port(65536).build()).isInstanceOf(IllegalArgumentException.class);
        assertThat(request().port(0).build().destinationPort()).isZero();
        assertThat(request().port(65535).build().destinationPort()).isEqualTo(65535);
        assertThatThrownBy(() -> request().client((java.net.InetAddress) null).build())
                .isInstanceOf(NullPointerException.class).hasMessage("client");
        assertThatThrownBy(() -> request().command(null).build())
                .isInstanceOf(NullPointerException.class).hasMessage("command");
    }
}
