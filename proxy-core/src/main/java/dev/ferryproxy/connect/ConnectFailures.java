package dev.ferryproxy.connect;

import dev.ferryproxy.command.CommandOutcome;
import io.netty.channel.ConnectTimeoutException;

import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Maps why a target connection failed to a reply outcome.
 *
 * <p>The errno is not kept in Netty's exceptions: epoll turns ENETUNREACH into a
 * NoRouteToHostException and EHOSTUNREACH into a ConnectException, and NIO does otherwise, so the
 * operating system's message (strerror text) decides first and the exception type second.
 * A connect timeout is answered 0x04 (host unreachable), as most clients expect, not 0x06.
 */
public final class ConnectFailures {
    private ConnectFailures() {
    }

    public static CommandOutcome outcomeOf(Throwable cause) {
        if (cause instanceof ConnectTimeoutException || cause instanceof UnknownHostException) {
            return CommandOutcome.HOST_UNREACHABLE;
        }
        String message = cause.getMessage() == null ? "" : cause.getMessage().toLowerCase(Locale.ROOT);
        if (message.contains("network is unreachable") || message.contains("network unreachable")) {
            return CommandOutcome.NETWORK_UNREACHABLE;
        }
        if (message.contains("no route to host") || message.contains("host is unreachable")
                || message.contains("host unreachable")) {
            return CommandOutcome.HOST_UNREACHABLE;
        }
        if (message.contains("connection refused")) {
            return CommandOutcome.CONNECTION_REFUSED;
        }
        if (cause instanceof NoRouteToHostException) {
            return CommandOutcome.HOST_UNREACHABLE;
        }
        return CommandOutcome.GENERAL_FAILURE;
    }
}
