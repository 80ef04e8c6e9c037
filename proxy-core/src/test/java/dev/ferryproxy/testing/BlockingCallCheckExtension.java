package dev.ferryproxy.testing;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Fails a test after which an event loop was seen blocking (auto-registered, like {@link LeakCheckExtension}). */
public final class BlockingCallCheckExtension implements AfterEachCallback {
    @Override
    public void afterEach(ExtensionContext context) {
        BlockingCallDetection.install();
        BlockingCallDetection.assertNoBlockingCalls();
    }
}
