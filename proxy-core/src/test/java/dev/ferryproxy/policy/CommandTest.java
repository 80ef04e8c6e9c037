package dev.ferryproxy.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class CommandTest {
    @Test
    void readsTheConfigSpelling() {
        assertThat(Command.parse("connect")).isEqualTo(Command.CONNECT);
        assertThat(Command.parse("bind")).isEqualTo(Command.BIND);
        assertThat(Command.parse("udp")).isEqualTo(Command.UDP_ASSOCIATE);
        assertThat(Command.parse("UDP")).isEqualTo(Command.UDP_ASSOCIATE);
    }

    @ParameterizedTest
    @EnumSource(Command.class)
    void printsWhatItReads(Command command) {
        assertThat(Command.parse(command.configName())).isEqualTo(command);
    }

    @ParameterizedTest
    @ValueSource(strings = {"udp_associate", "UDP_ASSOCIATE", "connect ", "", "listen"})
    void refusesOtherWordsListingTheAllowedOnes(String word) {
        assertThatThrownBy(() -> Command.parse(word)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'" + word + "' is not a command (expected one of: connect, bind, udp)");
    }

    @Test
    void actionsHaveAConfigSpellingToo() {
        assertThat(Action.parse("allow")).isEqualTo(Action.ALLOW);
        assertThat(Action.parse("DENY")).isEqualTo(Action.DENY);
        assertThat(Action.ALLOW.configName()).isEqualTo("allow");
        assertThat(Action.DENY.configName()).isEqualTo("deny");
        assertThatThrownBy(() -> Action.parse("reject")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'reject' is not an action (expected one of: allow, deny)");
    }
}
