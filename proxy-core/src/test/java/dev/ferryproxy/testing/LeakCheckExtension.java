package dev.ferryproxy.testing;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test when Netty reports a leaked buffer. Registered for every test through JUnit's
 * extension auto-detection (junit-platform.properties and a service file).
 */
public final class LeakCheckExtension implements AfterEachCallback {
    @Override
    public void afterEach(ExtensionContext context) {
        LeakDetection.install();
        LeakDetection.assertNoLeaks();
    }
}
