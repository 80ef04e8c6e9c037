package dev.ferryproxy.command;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.v5.Socks5CommandResponse;
import dev.ferryproxy.codec.v5.Socks5CommandStatus;

import java.net.InetSocketAddress;

/** SOCKS5 replies: one REP code per outcome (RFC 1928 section 6). */
public final class Socks5CommandReplies implements CommandReplies {
    public static final Socks5CommandReplies INSTANCE = new Socks5CommandReplies();

    private Socks5CommandReplies() {
    }

    @Override
    public Object success(InetSocketAddress bound) {
        return new Socks5CommandResponse(Socks5CommandStatus.SUCCESS, SocksAddress.of(bound));
    }

    @Override
    public Object failure(CommandOutcome outcome) {
        return Socks5CommandResponse.failure(status(outcome));
    }

    /** The REP code for an outcome. */
    public static Socks5CommandStatus status(CommandOutcome outcome) {
        switch (outcome) {
            case SUCCEEDED:
                return Socks5CommandStatus.SUCCESS;
            case NOT_ALLOWED:
                return Socks5CommandStatus.FORBIDDEN;
            case NETWORK_UNREACHABLE:
                return Socks5CommandStatus.NETWORK_UNREACHABLE;
            case HOST_UNREACHABLE:
                return Socks5CommandStatus.HOST_UNREACHABLE;
            case CONNECTION_REFUSED:
                return Socks5CommandStatus.CONNECTION_REFUSED;
            case TTL_EXPIRED:
                return Socks5CommandStatus.TTL_EXPIRED;
            case COMMAND_NOT_SUPPORTED:
                return Socks5CommandStatus.COMMAND_UNSUPPORTED;
            case ADDRESS_TYPE_NOT_SUPPORTED:
                return Socks5CommandStatus.ADDRESS_UNSUPPORTED;
            default:
                return Socks5CommandStatus.FAILURE;
        }
    }
}
