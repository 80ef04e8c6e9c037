package dev.ferryproxy.app;

import dev.ferryproxy.client.MalformedReplyException;
import dev.ferryproxy.client.NoAcceptableMethodException;
import dev.ferryproxy.client.SocksAuthenticationException;
import dev.ferryproxy.client.SocksException;
import dev.ferryproxy.client.SocksHandshakeTimeoutException;
import dev.ferryproxy.client.SocksReplyException;
import io.netty.channel.ConnectTimeoutException;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;

/** What the client commands print when a tunnel cannot be opened or fails: the typed failure, in words. */
final class ClientErrors {
    /** The prefix of Netty's native transport errors: {@code finishConnect(..) failed with error(-111): }. */
    private static final Pattern NATIVE_CALL = Pattern.compile("^(?:io_uring )?\\w+\\(\\.\\.\\) failed with error\\(-?\\d+\\): ");

    /** Netty's connect failures end with the address: {@code Connection refused: /127.0.0.1:1080}. */
    private static final String ADDRESS_SEPARATOR = ": /";

    private ClientErrors() {
    }

    /** The failure in one line: the SOCKS exceptions name the hop, the reply code and its meaning. */
    static String describe(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof SocksException) {
            return cause.getMessage();
        }
        if (cause instanceof UnknownHostException) {
            return "cannot resolve " + cause.getMessage();
        }
        if (cause instanceof ConnectException) {
            // only the TCP connection to the first proxy is made here; the rest are the proxies' replies
            String address = connectAddress(cause);
            return "cannot connect to the proxy" + (address != null ? " at " + address : "") + ": "
                    + connectFailure(cause);
        }
        if (cause instanceof IllegalArgumentException) {
            return cause.getMessage();
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }

    /**
     * Why a TCP connect failed, without the native call's name or the address: {@code Connection
     * refused} rather than {@code finishConnect(..) failed with error(-111): Connection refused:
     * /127.0.0.1:1080}.
     */
    static String connectFailure(Throwable cause) {
        String message = cause.getMessage() != null ? cause.getMessage() : cause.toString();
        message = NATIVE_CALL.matcher(message).replaceFirst("");
        int address = message.lastIndexOf(ADDRESS_SEPARATOR);
        return address > 0 ? message.substring(0, address) : message;
    }

    /** The address Netty names at the end of a connect failure ({@code ...: /127.0.0.1:1080}), or null. */
    private static String connectAddress(Throwable cause) {
        String message = cause.getMessage();
        int address = message == null ? -1 : message.lastIndexOf(ADDRESS_SEPARATOR);
        return address > 0 ? message.substring(address + ADDRESS_SEPARATOR.length()) : null;
    }

    /** A hint at what to look at for this failure, or {@code null}. */
    static String hint(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof SocksReplyException) {
            SocksReplyException reply = (SocksReplyException) cause;
            if (reply.protocol().carriesIpv6()) {
                return socks5Hint(reply.replyCode());
            }
            return "SOCKS4 does not say why; a SOCKS5 URI (socks5h://) gets a precise reply code";
        }
        if (cause instanceof SocksAuthenticationException) {
            return "check the user name and password in the URI (percent-encode ':', '@' and '%')";
        }
        if (cause instanceof NoAcceptableMethodException) {
            return "the proxy wants a login this client did not offer; give one as socks5h://USER:PASSWORD@HOST:PORT";
        }
        if (cause instanceof MalformedReplyException) {
            return "is it a SOCKS server, and of this version? check the port and the URI's scheme";
        }
        if (cause instanceof SocksHandshakeTimeoutException) {
            return "the proxy is slow or is not a SOCKS server; --handshake-timeout gives it longer";
        }
        if (cause instanceof ConnectTimeoutException) {
            return "a firewall may drop the packets; --connect-timeout gives it longer";
        }
        if (cause instanceof ConnectException) {
            return "is the proxy running, and listening on that address and port?";
        }
        return null;
    }

    private static String socks5Hint(int code) {
        switch (code) {
            case 0x01:
                return "the proxy failed for a reason of its own; its log may say why";
            case 0x02:
                return "the proxy's access rules refuse this client, user or destination";
            case 0x03:
                return "the proxy has no route to the target's network";
            case 0x04:
                return "the proxy could not reach the target host: a name that does not resolve, no route, or its"
                        + " connect timed out";
            case 0x05:
                return "the proxy reached the target host, and nothing listens on that port there";
            case 0x07:
                return "the proxy does not support this command";
            case 0x08:
                return "the proxy does not take this kind of address; try socks5h:// to send names, or socks5://"
                        + " to send addresses";
            default:
                return null;
        }
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof ExecutionException || cause instanceof CompletionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
