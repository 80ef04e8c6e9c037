package dev.ferryproxy.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CredentialTest {
    @Test
    void plainCredentialMatchesOnlyTheExactBytes() {
        PlainCredential credential = new PlainCredential(bytes("s3cret"));
        assertThat(credential.matches(bytes("s3cret"))).isTrue();
        assertThat(credential.matches(bytes("s3cret "))).isFalse();
        assertThat(credential.matches(bytes("S3cret"))).isFalse();
        assertThat(credential.matches(new byte[0])).isFalse();
    }

    @Test
    void plainCredentialRefusesAnEmptyPassword() {
        assertThatThrownBy(() -> new PlainCredential(new byte[0])).hasMessage("empty password");
    }

    @Test
    void hashesAreSaltedAndVerify() {
        String first = PasswordHashing.hash(bytes("pw"));
        String second = PasswordHashing.hash(bytes("pw"));
        assertThat(first).startsWith("$2y$10$").hasSize(60).isNotEqualTo(second);
        assertThat(BcryptCredential.parse(first).matches(bytes("pw"))).isTrue();
        assertThat(BcryptCredential.parse(second).matches(bytes("pw!"))).isFalse();
    }

    @Test
    void passwordBytesAreComparedWithoutACharsetInBetween() {
        byte[] notUtf8 = {(byte) 0xC3, (byte) 0x28, (byte) 0xFF};
        byte[] otherNotUtf8 = {(byte) 0xC3, (byte) 0x29, (byte) 0xFF};
        assertThat(new PlainCredential(notUtf8).matches(otherNotUtf8)).isFalse();
        assertThat(BcryptCredential.parse(PasswordHashing.hash(notUtf8)).matches(otherNotUtf8)).isFalse();
        assertThat(BcryptCredential.parse(PasswordHashing.hash(notUtf8)).matches(notUtf8.clone())).isTrue();
    }

    @Test
    void refusesWhatIsNotABcryptHash() {
        assertThatThrownBy(() -> BcryptCredential.parse("$1$md5crypt")).hasMessageStartingWith("not a bcrypt hash");
        assertThatThrownBy(() -> BcryptCredential.parse("password")).hasMessageStartingWith("not a bcrypt hash");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
