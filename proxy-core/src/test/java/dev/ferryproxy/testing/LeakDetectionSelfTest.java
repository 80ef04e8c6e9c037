package dev.ferryproxy.testing;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

/** Proves that a leaked buffer is detected: the leak check is only worth something if it can fail. */
class LeakDetectionSelfTest {
    @Test
    void aLeakedBufferFailsTheCheck() {
        leakOneBuffer();
        assertThatThrownBy(LeakDetection::assertNoLeaks)
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("LEAK");
    }

    private static void leakOneBuffer() {
        ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        leaked.writeInt(42);
        // not released on purpose; the reference is dropped when this method returns
    }
}
