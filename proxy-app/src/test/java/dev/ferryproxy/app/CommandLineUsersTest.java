package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferryproxy.auth.UserDirectory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommandLineUsersTest {
    private static boolean logsIn(UserDirectory users, String name, String password) {
        return users.find(name).map(c -> c.matches(password.getBytes(StandardCharsets.UTF_8))).orElse(false);
    }

    @Test
    void splitsAtTheFirstColon() {
        UserPassword user = UserPassword.parse("alice:pa:ss word");
        assertThat(user.name()).isEqualTo("alice");
        assertThat(new String(user.password(), StandardCharsets.UTF_8)).isEqualTo("pa:ss word");
        assertThat(user).hasToString("alice:********");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "alice-secret|expected NAME:PASSWORD",
        ":secret-pw|the user name is empty",
        "alice:|user 'alice': the password is empty",
        "al ice:secret-pw|a user name cannot contain spaces",
    })
    void refusesMalformedUsersWithoutRepeatingThePassword(String text, String problem) {
        assertThatThrownBy(() -> UserPassword.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(problem)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret"));
    }

    @Test
    void refusesWhatRfc1929CannotCarry() {
        assertThatThrownBy(() -> UserPassword.parse("a".repeat(256) + ":pw")).hasMessageContaining("255 bytes");
        assertThatThrownBy(() -> UserPassword.parse("alice:" + "p".repeat(256))).hasMessageContaining("255 bytes");
        assertThat(UserPassword.parse("a".repeat(255) + ":" + "p".repeat(255)).name()).hasSize(255);
    }

    @Test
    void environmentHoldsEntriesSeparatedByCommasOrNewlines() {
        List<UserPassword> users = CommandLineUsers.parseEnvironment(" alice:one,bob:two\n\ncarol:th:ree \r\n, ");
        assertThat(users).extracting(UserPassword::name).containsExactly("alice", "bob", "carol");
        assertThat(new String(users.get(2).password(), StandardCharsets.UTF_8)).isEqualTo("th:ree");
        assertThat(CommandLineUsers.parseEnvironment(null)).isEmpty();
        assertThat(CommandLineUsers.parseEnvironment("")).isEmpty();
    }

    @Test
    void environmentErrorsNameTheEntryNotThePassword() {
        assertThatThrownBy(() -> CommandLineUsers.parseEnvironment("alice:one,bob-secret"))
                .hasMessage("FERRY_USERS: entry 2: expected NAME:PASSWORD");
    }

    @Test
    void optionsOverrideTheEnvironmentAndNamesMayNotRepeatWithinOne() {
        UserDirectory users = CommandLineUsers.directory(
                CommandLineUsers.parseEnvironment("alice:env-pw,bob:bob-pw"),
                List.of(UserPassword.parse("alice:option-pw")));
        assertThat(users.names()).containsExactlyInAnyOrder("alice", "bob");
        assertThat(logsIn(users, "alice", "option-pw")).isTrue();
        assertThat(logsIn(users, "alice", "env-pw")).isFalse();
        assertThat(logsIn(users, "bob", "bob-pw")).isTrue();
        assertThatThrownBy(() -> CommandLineUsers.directory(List.of(),
                List.of(UserPassword.parse("alice:a"), UserPassword.parse("alice:b"))))
                .hasMessage("--user: user 'alice' is given twice");
        assertThatThrownBy(() -> CommandLineUsers.directory(CommandLineUsers.parseEnvironment("alice:a,alice:b"),
                List.of())).hasMessage("FERRY_USERS: user 'alice' is given twice");
    }
}
