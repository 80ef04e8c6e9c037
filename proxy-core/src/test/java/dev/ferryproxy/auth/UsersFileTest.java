package dev.ferryproxy.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsersFileTest {
    private static String aliceHash;

    @TempDir
    Path dir;

    @BeforeAll
    static void hash() {
        aliceHash = PasswordHashing.hash("alice-pw".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsUsersSkippingCommentsAndBlankLines() throws Exception {
        Path file = write("# Ferry users\n\nalice:" + aliceHash + "\n  # indented comment\n");
        UserDirectory users = UsersFile.read(file);
        assertThat(users.names()).containsExactly("alice");
        assertThat(users.find("alice").orElseThrow().matches("alice-pw".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(users.find("alice").orElseThrow().matches("wrong".getBytes(StandardCharsets.UTF_8))).isFalse();
    }

    @Test
    void acceptsHtpasswdStyle2aAnd2bHashes() throws Exception {
        String hash2a = "$2a" + aliceHash.substring(3);
        String hash2b = "$2b" + aliceHash.substring(3);
        UserDirectory users = UsersFile.read(write("a:" + hash2a + "\nb:" + hash2b + "\n"));
        assertThat(users.find("a").orElseThrow().matches("alice-pw".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(users.find("b").orElseThrow().matches("alice-pw".getBytes(StandardCharsets.UTF_8))).isTrue();
    }

    @Test
    void namesFileAndLineOfALineWithoutAColon() throws Exception {
        Path file = write("alice:" + aliceHash + "\njustaname\n");
        assertThatThrownBy(() -> UsersFile.read(file))
                .isInstanceOf(UsersFileException.class)
                .hasMessage(file + ":2: expected name:bcrypt-hash")
                .satisfies(e -> assertThat(((UsersFileException) e).line()).isEqualTo(2));
    }

    @Test
    void refusesAHashThatIsNotBcrypt() throws Exception {
        Path file = write("alice:plaintext-password\n");
        assertThatThrownBy(() -> UsersFile.read(file))
                .hasMessageStartingWith(file + ":1: user 'alice': not a bcrypt hash");
    }

    @Test
    void refusesADuplicateUser() throws Exception {
        Path file = write("alice:" + aliceHash + "\nalice:" + aliceHash + "\n");
        assertThatThrownBy(() -> UsersFile.read(file)).hasMessage(file + ":2: user 'alice' appears twice");
    }

    @Test
    void saysWhenTheFileCannotBeRead() {
        Path missing = dir.resolve("nope");
        assertThatThrownBy(() -> UsersFile.read(missing)).hasMessage(missing + ": cannot read: no such file");
    }

    private Path write(String content) throws IOException {
        return Files.writeString(dir.resolve("users"), content, StandardCharsets.UTF_8);
    }
}
