package dev.ferryproxy.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

class UdpBuffersTest {
    private static final PooledByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    @Test
    void aSmallPayloadGetsABufferOfItsOwnAndLetsTheReadBufferGo() {
        ByteBuf read = ALLOC.directBuffer(65_508);
        read.writeBytes(new byte[] {0, 0, 0, 1, 9, 9, 9, 9, 0, 53}).writeBytes("query".getBytes());
        ByteBuf payload = read.retainedSlice(10, 5);
        read.release();
        ByteBuf own = UdpBuffers.rightSized(payload, ALLOC);
        try {
            assertThat(own).isNotSameAs(payload);
            assertThat(payload.refCnt()).as("the slice, and with it the read buffer").isZero();
            assertThat(own.capacity()).isEqualTo(5);
            assertThat(ByteBufUtil.getBytes(own)).isEqualTo("query".getBytes());
        } finally {
            own.release();
        }
    }

    @Test
    void aPayloadFillingMostOfItsBufferStaysASlice() {
        ByteBuf read = ALLOC.directBuffer(1000);
        read.writeBytes(new byte[900]);
        ByteBuf payload = read.retainedSlice(10, 890);
        read.release();
        ByteBuf same = UdpBuffers.rightSized(payload, ALLOC);
        try {
            assertThat(same).isSameAs(payload);
            assertThat(same.refCnt()).isEqualTo(1);
        } finally {
            same.release();
        }
    }
}
