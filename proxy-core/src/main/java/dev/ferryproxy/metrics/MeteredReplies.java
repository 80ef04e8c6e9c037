package dev.ferryproxy.metrics;

import dev.ferryproxy.command.CommandOutcome;
import dev.ferryproxy.command.CommandReplies;
import dev.ferryproxy.policy.Command;

import java.net.InetSocketAddress;

/**
 * Counts a command's outcome where its reply is made, so that every command handler's success,
 * denial and failure is counted without each of them knowing about meters.
 */
public final class MeteredReplies implements CommandReplies {
    private final CommandReplies replies;
    private final ConnectionMetrics metrics;
    private final Command command;

    public MeteredReplies(CommandReplies replies, ConnectionMetrics metrics, Command command) {
        this.replies = replies;
        this.metrics = metrics;
        this.command = command;
    }

    @Override
    public Object success(InetSocketAddress bound) {
        metrics.handshake(command, HandshakeOutcome.SUCCEEDED);
        return replies.success(bound);
    }

    @Override
    public Object failure(CommandOutcome outcome) {
        metrics.handshake(command, HandshakeOutcome.of(outcome));
        return replies.failure(outcome);
    }
}
