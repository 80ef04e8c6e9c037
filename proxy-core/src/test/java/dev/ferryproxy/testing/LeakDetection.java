package dev.ferryproxy.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes Netty's leak reports fail tests. Netty only logs a leak; this installs a leak detector
 * factory whose detectors also record every report, and {@link #assertNoLeaks()} collects
 * garbage, makes the detectors look at their queues and fails if anything was reported.
 *
 * <p>The factory must be in place before Netty creates its first detector (when the buffer
 * classes initialise), so {@link LeakDetectionSessionListener} installs it when the test
 * launcher session opens, before any test class runs.
 */
public final class LeakDetection {
    private static final List<String> REPORTS = new ArrayList<>();
    private static boolean installed;

    private LeakDetection() {
    }

    /** Installs the recording factory and forces level PARANOID; idempotent. */
    public static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    }

    /**
     * Collects garbage, polls the detectors and throws if any leak was reported since the last call.
     * A leak is reported when its buffer is collected, so it may belong to an earlier test in this JVM.
     */
    public static void assertNoLeaks() {
        for (int round = 0; round < 2; round++) {
            collectGarbageAndAwaitReferenceProcessing();
            pollDetectors();
        }
        List<String> leaks;
        synchronized (LeakDetection.class) {
            leaks = new ArrayList<>(REPORTS);
            REPORTS.clear();
        }
        if (!leaks.isEmpty()) {
            throw new AssertionError("Netty reported " + leaks.size() + " leak(s) (from this test or one "
                    + "before it in this JVM):\n" + String.join("\n\n", leaks));
        }
    }

    private static void collectGarbageAndAwaitReferenceProcessing() {
        ReferenceQueue<Object> queue = new ReferenceQueue<>();
        WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
        System.gc();
        try {
            // The reference handler enqueues the sentinel with the other references cleared by this GC.
            if (queue.remove(10_000) == null) {
                System.gc();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sentinel.clear();
    }

    /** Each detector drains its reference queue (and reports) when it tracks a new resource. */
    private static void pollDetectors() {
        ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(8);
        pooled.release();
        ByteBuf unpooled = UnpooledByteBufAllocator.DEFAULT.heapBuffer(8);
        unpooled.release();
    }

    static synchronized void record(String report) {
        REPORTS.add(report);
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
            return new RecordingDetector<>(resource, samplingInterval);
        }

        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                long maxActive) {
            return newResourceLeakDetector(resource, samplingInterval);
        }
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        RecordingDetector(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        @Override
        protected boolean needReport() {
            return true;
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            record("LEAK: " + resourceType + records);
            super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            record("LEAK: " + resourceType + " (no records)");
            super.reportUntracedLeak(resourceType);
        }
    }
}
