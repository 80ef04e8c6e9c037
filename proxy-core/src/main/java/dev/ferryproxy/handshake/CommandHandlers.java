package dev.ferryproxy.handshake;

import dev.ferryproxy.bind.BindCommandHandler;
import dev.ferryproxy.command.CommandContext;
import dev.ferryproxy.command.CommandReplies;
import dev.ferryproxy.connect.ConnectCommandHandler;
import dev.ferryproxy.udp.UdpAssociateCommandHandler;
import io.netty.channel.ChannelHandler;

/** Picks the handler that serves a command once the handshake is done, if the server serves it. */
final class CommandHandlers {
    private CommandHandlers() {
    }

    /**
     * The handler for {@code command}, or {@code null} when the server has the command switched
     * off (BIND unless enabled, UDP ASSOCIATE when disabled). {@code policy} is the one the
     * handshake began with, whose rules are in {@code command}.
     */
    static ChannelHandler forCommand(ProxyServices services, ProxyPolicy policy, CommandContext command,
            CommandReplies replies) {
        switch (command.command()) {
            case CONNECT:
                return new ConnectCommandHandler(command, replies, services.connector(), services.upstreamConnector(),
                        policy.upstreams(), services.limiter());
            case BIND:
                return services.bind().settings().enabled()
                        ? new BindCommandHandler(command, replies, services.bind(), services.limiter()) : null;
            case UDP_ASSOCIATE:
                return services.udp().settings().enabled()
                        ? new UdpAssociateCommandHandler(command, replies, services.udp(), policy.upstreams(),
                                services.admission()) : null;
            default:
                throw new IllegalArgumentException("unknown command " + command.command());
        }
    }
}
