package dev.ferryproxy.command;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.v4.Socks4CommandResponse;
import dev.ferryproxy.codec.v4.Socks4CommandStatus;

import java.net.InetSocketAddress;

/** SOCKS4 replies: 90 on success, 91 for every failure (92 and 93 are about identd, which Ferry does not use). */
public final class Socks4CommandReplies implements CommandReplies {
    public static final Socks4CommandReplies INSTANCE = new Socks4CommandReplies();

    private Socks4CommandReplies() {
    }

    @Override
    public Object success(InetSocketAddress bound) {
        return new Socks4CommandResponse(Socks4CommandStatus.SUCCESS, SocksAddress.of(bound));
    }

    @Override
    public Object failure(CommandOutcome outcome) {
        return Socks4CommandResponse.rejected();
    }
}
