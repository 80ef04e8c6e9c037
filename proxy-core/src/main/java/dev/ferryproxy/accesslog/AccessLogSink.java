package dev.ferryproxy.accesslog;

/**
 * Where the server hands each {@link AccessLogEntry}. It is called on an event loop, so it must
 * neither block nor take long: hand the entry to another thread (a queue, an asynchronous logger),
 * and drop it rather than wait when that is full. An exception it throws is logged and ignored.
 */
@FunctionalInterface
public interface AccessLogSink {
    void accept(AccessLogEntry entry);
}
