/**
 * Ferry's SOCKS client: SOCKS4, SOCKS4a and SOCKS5 (no authentication, or RFC 1929 username and
 * password), CONNECT, BIND (both replies) and UDP ASSOCIATE, through one proxy or a chain.
 *
 * <ul>
 *   <li>{@link dev.ferryproxy.client.SocksClient}: the high-level API. A builder takes the proxies
 *       ({@link dev.ferryproxy.client.ProxyUri}: {@code socks5h://user:password@host:port}),
 *       timeouts and an optional event loop group; {@code connect} returns the tunnel's channel,
 *       {@code connectStreams} a pair of blocking streams, {@code bind} a
 *       {@link dev.ferryproxy.client.SocksBind}, {@code udpAssociate} a
 *       {@link dev.ferryproxy.client.SocksUdpAssociation}.</li>
 *   <li>{@link dev.ferryproxy.client.SocksClientHandshake}: the primitive under it, for a channel
 *       the caller connected itself (server-side chaining): every hop's handshake in turn, then a
 *       clean pipeline with auto-read off and a self-removing hold for what arrived early.</li>
 *   <li>Failures are typed: {@link dev.ferryproxy.client.SocksReplyException} (the reply code and
 *       its meaning), {@link dev.ferryproxy.client.SocksAuthenticationException},
 *       {@link dev.ferryproxy.client.NoAcceptableMethodException},
 *       {@link dev.ferryproxy.client.SocksHandshakeTimeoutException},
 *       {@link dev.ferryproxy.client.MalformedReplyException}, all
 *       {@link dev.ferryproxy.client.SocksException}s (IOExceptions). What SOCKS cannot carry (a
 *       name over 255 bytes, credentials over 255 bytes, IPv6 over SOCKS4) is refused with an
 *       {@link java.lang.IllegalArgumentException} before any byte is sent.</li>
 * </ul>
 *
 * <p>Everything runs on Netty event loops without blocking them: names are resolved by the
 * asynchronous {@link dev.ferryproxy.resolve.DnsResolver}, and the blocking streams hand bytes
 * across with lock-free queues.
 */
package dev.ferryproxy.client;
