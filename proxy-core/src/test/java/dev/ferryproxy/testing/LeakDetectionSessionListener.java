package dev.ferryproxy.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Installs {@link LeakDetection} and {@link BlockingCallDetection} before any test class is
 * loaded (registered as a service), so both watch everything a test JVM does.
 */
public final class LeakDetectionSessionListener implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        LeakDetection.install();
        BlockingCallDetection.install();
    }
}
