package dev.ferryproxy.client;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Told each step of a client handshake as it happens, for diagnosis (a "check" command, debug
 * logs). Every method has a default that does nothing.
 *
 * <p>Calls come on the channel's event loop, in order; an observer must not block. Each carries
 * {@link System#nanoTime()} at the step, so the time between steps can be measured. An exception
 * thrown by an observer is logged and otherwise ignored.
 */
public interface HandshakeObserver {
    /** The TCP connection to the first proxy is up ({@link SocksClient} only). */
    default void proxyConnected(InetSocketAddress proxy, long nanoTime) {
    }

    /** The handshake with hop {@code hop} (0 is the nearest proxy) begins. */
    default void hopStarted(int hop, ProxyUri proxy, long nanoTime) {
    }

    /** A name this hop cannot send was resolved here, and {@code address} chosen. */
    default void resolved(String host, InetAddress address, long nanoTime) {
    }

    /** SOCKS5 greeting sent, with the methods offered. */
    default void greetingSent(List<Integer> methods, long nanoTime) {
    }

    /** SOCKS5 method selected by the proxy (0xFF: none acceptable). */
    default void methodSelected(int method, long nanoTime) {
    }

    /** RFC 1929 login answered. */
    default void authenticated(boolean ok, long nanoTime) {
    }

    /** Request sent: {@code command} is CONNECT, BIND or UDP_ASSOCIATE. */
    default void requestSent(String command, SocksTarget target, long nanoTime) {
    }

    /** A reply received, failed or not (BIND gets two). */
    default void replyReceived(SocksReply reply, long nanoTime) {
    }
}
