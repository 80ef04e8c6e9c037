package dev.ferryproxy.internal;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelOption;

/** TEMPORARY, for measuring only: socket tuning from system properties (ferry.tune.*). */
public final class ExperimentalTuning {
    private ExperimentalTuning() {
    }

    public static void apply(AbstractBootstrap<?, ?> b) {
        Integer rcvMax = Integer.getInteger("ferry.tune.rcvMax");
        Integer msgs = Integer.getInteger("ferry.tune.maxMessagesPerRead");
        Integer sock = Integer.getInteger("ferry.tune.sockBuf");
        if (rcvMax != null || msgs != null) {
            AdaptiveRecvByteBufAllocator a = rcvMax != null
                    ? new AdaptiveRecvByteBufAllocator(64, 16 * 1024, rcvMax) : new AdaptiveRecvByteBufAllocator();
            if (msgs != null) {
                a.maxMessagesPerRead(msgs);
            }
            set(b, ChannelOption.RCVBUF_ALLOCATOR, a);
        }
        if (sock != null) {
            set(b, ChannelOption.SO_SNDBUF, sock);
            set(b, ChannelOption.SO_RCVBUF, sock);
        }
    }

    private static <T> void set(AbstractBootstrap<?, ?> b, ChannelOption<T> option, T value) {
        if (b instanceof ServerBootstrap) {
            ((ServerBootstrap) b).childOption(option, value);
        } else {
            b.option(option, value);
        }
    }
}
