package dev.ferryproxy.metrics;

import dev.ferryproxy.accesslog.TunnelRecord;
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
    private final TunnelRecord record;

    public MeteredReplies(CommandReplies replies, ConnectionMetrics metrics, Command command) {
        this(replies, metrics, command, null);
    }

    /** Also notes each reply in the connection's access-log record ({@code null}: none). */
    public MeteredReplies(CommandReplies replies, ConnectionMetrics metrics, Command command, TunnelRecord record) {
        this.replies = replies;
        this.metrics = metrics;
        this.command = command;
        this.record = record;
    }

    @Override
    public Object success(InetSocketAddress bound) {
        metrics.handshake(command, HandshakeOutcome.SUCCEEDED);
        return noted(replies.success(bound));
    }

    @Override
    public Object failure(CommandOutcome outcome) {
        metrics.handshake(command, HandshakeOutcome.of(outcome));
        return noted(replies.failure(outcome));
    }

    private Object noted(Object reply) {
        if (record != null) {
            record.replied(reply);
        }
        return reply;
    }
}
