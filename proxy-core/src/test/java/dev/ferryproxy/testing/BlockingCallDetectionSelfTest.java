package dev.ferryproxy.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Proves that a blocking call on an event loop is caught: the check is only worth something if it can fail. */
class BlockingCallDetectionSelfTest {
    @Test
    void sleepingOnAnEventLoopFailsTheCheck() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            assertThatThrownBy(() -> group.submit(() -> {
                Thread.sleep(1); // the blocking call under test, on an event loop
                return null;
            }).get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasRootCauseInstanceOf(reactor.blockhound.BlockingOperationError.class);
            assertThatThrownBy(BlockingCallDetection::assertNoBlockingCalls)
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("Thread.sleep");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void blockingOffTheEventLoopIsFine() throws InterruptedException {
        Thread.sleep(1); // the test thread may block
        BlockingCallDetection.assertNoBlockingCalls();
        assertThat(true).isTrue();
    }
}
