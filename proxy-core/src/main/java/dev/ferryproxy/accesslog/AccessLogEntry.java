package dev.ferryproxy.accesslog;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksVersion;
import dev.ferryproxy.policy.Command;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One client request that reached a command, as the access log records it once its connection
 * has ended: a CONNECT or BIND tunnel, a UDP association, or a request that was refused.
 *
 * @param time when the client's connection ended
 * @param listener the listening address the client connected to
 * @param client the client's address ({@code ClientAttributes.clientAddress}: the real client's, behind a PROXY-protocol load balancer)
 * @param user the logged-in user or SOCKS4 USERID; {@code null} when none
 * @param version the SOCKS version spoken
 * @param command the command asked for
 * @param requested the destination as the client named it (for BIND, the expected peer; for UDP ASSOCIATE, the client's stated address)
 * @param dialled the address connected to: the target (or the first parent proxy), the BIND peer
 *     that connected, the UDP relay's address; {@code null} when none
 * @param replyCode the last reply's code (SOCKS5 REP, SOCKS4 CD); -1 when no reply was sent
 * @param bytesFromClient bytes the client sent through the tunnel (UDP: payload bytes sent on to destinations)
 * @param bytesToClient bytes relayed to the client (UDP: payload bytes relayed back)
 * @param duration from accepting the client's connection to its end
 * @param end why it ended
 */
public record AccessLogEntry(Instant time, InetSocketAddress listener, InetAddress client, String user,
        SocksVersion version, Command command, SocksAddress requested, InetSocketAddress dialled, int replyCode,
        long bytesFromClient, long bytesToClient, Duration duration, EndReason end) {

    public AccessLogEntry {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(requested, "requested");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(end, "end");
    }

    /** Whether the (last) reply said success: 0x00 for SOCKS5, 90 for SOCKS4. */
    public boolean succeeded() {
        return version == SocksVersion.SOCKS4 ? replyCode == 90 : replyCode == 0;
    }
}
