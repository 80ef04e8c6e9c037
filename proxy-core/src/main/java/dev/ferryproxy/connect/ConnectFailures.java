package dev.ferryproxy.connect;

import dev.ferryproxy.client.SocksProtocol;
import dev.ferryproxy.client.SocksReplyException;
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
 *
 * <p>Through an upstream, a parent's SOCKS5 refusal is passed on with its own code (a SOCKS4
 * parent's 91 becomes 0x01), and a parent that cannot be used at all is 0x01.
 */
public final class ConnectFailures {
    private ConnectFailures() {
    }

    public static CommandOutcome outcomeOf(Throwable cause) {
        if (cause instanceof UpstreamFailedException) {
            return CommandOutcome.GENERAL_FAILURE; // its message quotes the parent's error, e.g. "refused"
        }
        if (cause instanceof SocksReplyException) {
            return parentRefusal((SocksReplyException) cause);
        }
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

    /** The outcome a parent's refusal stands for: SOCKS5 codes as they are, anything else 0x01. */
    private static CommandOutcome parentRefusal(SocksReplyException refusal) {
        if (refusal.protocol() != SocksProtocol.SOCKS5 && refusal.protocol() != SocksProtocol.SOCKS5H) {
            return CommandOutcome.GENERAL_FAILURE; // SOCKS4's 91/92/93 say no more than "failed"
        }
        switch (refusal.replyCode()) {
            case 0x02:
                return CommandOutcome.NOT_ALLOWED;
            case 0x03:
                return CommandOutcome.NETWORK_UNREACHABLE;
            case 0x04:
                return CommandOutcome.HOST_UNREACHABLE;
            case 0x05:
                return CommandOutcome.CONNECTION_REFUSED;
            case 0x06:
                return CommandOutcome.TTL_EXPIRED;
            case 0x07:
                return CommandOutcome.COMMAND_NOT_SUPPORTED;
            case 0x08:
                return CommandOutcome.ADDRESS_TYPE_NOT_SUPPORTED;
            default:
                return CommandOutcome.GENERAL_FAILURE;
        }
    }
}
