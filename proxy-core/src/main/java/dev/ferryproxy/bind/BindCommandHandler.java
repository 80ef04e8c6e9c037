package dev.ferryproxy.bind;

import dev.ferryproxy.command.CommandContext;
import dev.ferryproxy.command.CommandOutcome;
import dev.ferryproxy.command.CommandReplies;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/** PLACEHOLDER until the command is implemented: answers "command not supported". */
public final class BindCommandHandler extends ChannelInboundHandlerAdapter {
    private final CommandContext command;
    private final CommandReplies replies;
    private final BindService service;

    public BindCommandHandler(CommandContext command, CommandReplies replies, BindService service) {
        this.command = command;
        this.replies = replies;
        this.service = service;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(replies.failure(CommandOutcome.COMMAND_NOT_SUPPORTED)).addListener(ChannelFutureListener.CLOSE);
    }
}
