package dev.ferryproxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferryproxy.app.config.ConfigFile;
import dev.ferryproxy.app.config.FerryConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigReloaderTest {
    @TempDir
    Path dir;

    private FerryConfig load(String yaml) throws Exception {
        Path file = Files.writeString(dir.resolve("ferry-" + yaml.hashCode() + ".yaml"), yaml);
        return ConfigFile.load(file);
    }

    @Test
    void namesTheKeysAReloadDoesNotApply() throws Exception {
        FerryConfig atStart = load("listen: [\"127.0.0.1:1081\"]\nworkerThreads: 2\n");
        assertThat(ConfigReloader.changedRestartOnlyKeys(atStart,
                load("listen: [\"127.0.0.1:1081\"]\nworkerThreads: 2\nrules: [{ action: deny }]\n"))).isEmpty();
        assertThat(ConfigReloader.changedRestartOnlyKeys(atStart,
                load("listen: [\"127.0.0.1:1082\"]\ntimeouts: { connect: 3s }\nauth: { throttle: { lockoutAfter: 2 } }\n")))
                .containsExactly("listen", "timeouts.connect", "workerThreads", "auth.throttle");
    }
}
