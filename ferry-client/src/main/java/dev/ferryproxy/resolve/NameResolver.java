package dev.ferryproxy.resolve;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

import java.net.InetAddress;
import java.util.List;

/** Resolves host names without blocking: every answer comes back as a future. */
public interface NameResolver extends AutoCloseable {
    /**
     * Resolves {@code host} to all its addresses, in the order they should be tried.
     *
     * @param host a host name or IP literal
     * @param loop the event loop of the connection that asks; the future completes on it
     * @return the addresses, or a failure with {@link java.net.UnknownHostException} when the
     *     name does not exist or cannot be a host name
     */
    Future<List<InetAddress>> resolveAll(String host, EventLoop loop);

    /** Releases the resolver's sockets. */
    @Override
    void close();
}
