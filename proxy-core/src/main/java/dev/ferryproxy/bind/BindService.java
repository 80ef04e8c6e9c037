package dev.ferryproxy.bind;

import dev.ferryproxy.relay.RelaySettings;
import dev.ferryproxy.resolve.NameResolver;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ServerSocketChannel;

import java.net.InetAddress;
import java.util.Objects;

/**
 * What every BIND of a server shares, built once.
 *
 * @param settings whether BIND is on, its ports and its timeout
 * @param serverChannelType the transport's listening socket class
 * @param resolver resolves the expected peer when a request names it (SOCKS4a, SOCKS5 domain)
 * @param advertisedAddress the address put in the first reply in place of the listener's own
 *     (for NAT and containers); {@code null} for the local address of the client's connection
 * @param waterMark the relay's write buffer water marks, as for CONNECT's target channels
 * @param relay how the tunnels relay (accepted peers are prepared for it)
 */
public record BindService(BindSettings settings, Class<? extends ServerSocketChannel> serverChannelType,
        NameResolver resolver, InetAddress advertisedAddress, WriteBufferWaterMark waterMark, RelaySettings relay) {
    public BindService {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(serverChannelType, "serverChannelType");
        Objects.requireNonNull(resolver, "resolver");
        Objects.requireNonNull(waterMark, "waterMark");
        Objects.requireNonNull(relay, "relay");
    }
}
